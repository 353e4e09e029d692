#!/usr/bin/python3
"""Checks an .mlpackage written by `lathe compile --target ane --emit-mlpackage`
against what Core ML requires of it, independently of the code that wrote it:

- Manifest.json: fileFormatVersion 1.0.0, itemInfoEntries keyed by UUID, each
  with path/name/author/description, rootModelIdentifier naming the model
  entry, every path present in Data/;
- model.mlmodel: decodes with the schema (targets/ane/coreml, Core ML's field
  numbers) without unknown fields; specificationVersion 8; an mlProgram
  whose function `main` has opset CoreML7 and that key in
  block_specializations; inputs and outputs agree with the description;
- every op has a `name` attribute (unique), every const a `val`, every
  input binding names a value defined before it;
- the description: an author and a short description (Xcode shows them),
  features named as MIL identifiers;
- Core ML's op rules lathe once broke: every multi-array feature has a shape
  (a scalar is [1]); batch_norm's mean, variance, gamma and beta, and
  instance_norm's and layer_norm's gamma and beta, are consts; a pool with
  ceil_mode has symmetric padding; a conv_transpose's output_shape is the
  size its pads give (Core ML does not read a larger one as padding);
- weight.bin is blob storage v2: header count and version, every blob the
  program references starts with 0xDEADBEEF metadata at a 64-byte aligned
  offset, its data 64-byte aligned right after, its size that of the
  tensor's type, and every blob in the file is referenced.

With --print, also prints the program one op per line, MIL-text style:
  conv_9 = conv(bias=const_8, dilations=dilations_6, ...) : fp16[1,3,6,3]
  const_8 = const(fp16[3] [0.5, -0.5, 65504.0])

usage: validate_mlpackage.py PACKAGE_DIR SCHEMA_DIR (the source tree root) [--print]"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

package, root = sys.argv[1], sys.argv[2]
printing = "--print" in sys.argv[3:]
errors = []


def check(ok, message):
    if not ok:
        errors.append(message)
    return ok


with tempfile.TemporaryDirectory() as gen:
    subprocess.run(["protoc", f"--python_out={gen}", "-I", root,
                    "targets/ane/coreml/MIL.proto", "targets/ane/coreml/Model.proto"], check=True)
    sys.path.insert(0, gen)
    from targets.ane.coreml import Model_pb2, MIL_pb2  # noqa: E402

manifest = json.load(open(os.path.join(package, "Manifest.json")))
check(manifest.get("fileFormatVersion") == "1.0.0", "manifest: fileFormatVersion is not 1.0.0")
entries = manifest.get("itemInfoEntries", {})
uuid = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
for key, entry in entries.items():
    check(uuid.match(key), f"manifest: entry key {key} is not a UUID")
    for field in ("path", "name", "author", "description"):
        check(field in entry, f"manifest: entry {key} lacks {field}")
    check(os.path.exists(os.path.join(package, "Data", entry.get("path", ""))),
          f"manifest: {entry.get('path')} is missing")
root_entry = entries.get(manifest.get("rootModelIdentifier"), {})
check(root_entry.get("path") == "com.apple.CoreML/model.mlmodel",
      "manifest: rootModelIdentifier does not name model.mlmodel")

data = open(os.path.join(package, "Data/com.apple.CoreML/model.mlmodel"), "rb").read()
model = Model_pb2.Model()
model.ParseFromString(data)


# protoc prints a field the schema does not know by its number ("502: ...").
decoded = subprocess.run(["protoc", "-I", root, "--decode", "CoreML.Specification.Model",
                          "targets/ane/coreml/Model.proto"], input=data, capture_output=True,
                         check=True).stdout.decode()
unknown = [line.strip() for line in decoded.splitlines() if re.match(r"^\s*[0-9]+[:{ ]", line)]
check(not unknown, f"model.mlmodel: fields the schema does not know: {unknown[:3]}")
check(model.specificationVersion == 8, f"specificationVersion {model.specificationVersion}, not 8")
check(model.HasField("mlProgram"), "the model is not an ML Program")
program = model.mlProgram
check("main" in program.functions, "no function main")
main = program.functions["main"]
check(main.opset == "CoreML7", f"opset {main.opset}, not CoreML7")
check("CoreML7" in main.block_specializations, "block_specializations lacks CoreML7")
block = main.block_specializations["CoreML7"]
check([i.name for i in main.inputs] == [f.name for f in model.description.input],
      "function inputs and description inputs differ")
check(list(block.outputs) == [f.name for f in model.description.output],
      "block outputs and description outputs differ")
for feature in list(model.description.input) + list(model.description.output):
    array = feature.type.multiArrayType
    check(len(array.shape) > 0, f"feature {feature.name}: a multi-array without a shape "
                                "(Core ML: missing shape constraints)")
    check(re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", feature.name),
          f"feature {feature.name}: not a MIL identifier")
metadata = model.description.metadata
check(metadata.author and metadata.shortDescription, "metadata: no author or short description")

weights = open(os.path.join(package, "Data/com.apple.CoreML/weights/weight.bin"), "rb").read()
count, version = struct.unpack_from("<II", weights, 0)
check(version == 2, f"weight.bin: version {version}, not 2")
element_bytes = {MIL_pb2.FLOAT16: 2, MIL_pb2.FLOAT32: 4, MIL_pb2.UINT8: 1, MIL_pb2.INT8: 1}
blob_types = {MIL_pb2.FLOAT16: 1, MIL_pb2.FLOAT32: 2, MIL_pb2.UINT8: 3, MIL_pb2.INT8: 4}
referenced = set()


def check_blob(where, val):
    blob = val.blobFileValue
    check(blob.fileName == "@model_path/weights/weight.bin", f"{where}: blob file {blob.fileName}")
    offset = blob.offset
    referenced.add(offset)
    check(offset % 64 == 0, f"{where}: blob offset {offset} not 64-byte aligned")
    sentinel, dtype, size, start = struct.unpack_from("<IIQQ", weights, offset)
    check(sentinel == 0xDEADBEEF, f"{where}: no 0xDEADBEEF at blob offset {offset}")
    check(start == offset + 64 and start % 64 == 0, f"{where}: blob data at {start}")
    tensor = val.type.tensorType
    elements = 1
    for d in tensor.dimensions:
        elements *= d.constant.size
    check(dtype == blob_types.get(tensor.dataType), f"{where}: blob type {dtype}")
    check(size == elements * element_bytes.get(tensor.dataType, 0),
          f"{where}: blob of {size} bytes for {elements} elements")
    check(start + size <= len(weights), f"{where}: blob past the end of weight.bin")


consts = {}  # name -> its op, for the rules that want const operands


def ints_of(name):
    op = consts.get(name)
    return list(op.attributes["val"].immediateValue.tensor.ints.values) if op else None


def bound(op, param):
    arguments = op.inputs[param].arguments if param in op.inputs else []
    return arguments[0].name if arguments else None


def check_op_rules(where, op):
    if op.type == "const":
        consts[op.outputs[0].name] = op
        return
    const_params = {"batch_norm": ("mean", "variance", "gamma", "beta"),
                    "instance_norm": ("gamma", "beta"), "layer_norm": ("gamma", "beta")}
    for param in const_params.get(op.type, ()):
        name = bound(op, param)
        check(name is None or name in consts, f"{where}: {param} is not a const")
    if op.type in ("max_pool", "avg_pool"):
        ceil = consts.get(bound(op, "ceil_mode"))
        pads = ints_of(bound(op, "pad")) or []
        if ceil and ceil.attributes["val"].immediateValue.tensor.bools.values[0]:
            check(all(pads[i] == pads[i + 1] for i in range(0, len(pads), 2)),
                  f"{where}: ceil_mode with asymmetric pad {pads}")
    if op.type == "conv_transpose" and "output_shape" in op.inputs:
        shape = ints_of(bound(op, "output_shape"))
        pads, strides = ints_of(bound(op, "pad")), ints_of(bound(op, "strides"))
        dilations = ints_of(bound(op, "dilations"))
        x = next((o for o in block.operations for out in o.outputs if out.name == bound(op, "x")), None)
        weight = consts.get(bound(op, "weight"))
        if shape and pads and strides and dilations and x is not None and weight is not None:
            size_in = [d.constant.size for d in next(out for out in x.outputs
                                                      if out.name == bound(op, "x")).type.tensorType.dimensions]
            kernel = [d.constant.size for d in weight.outputs[0].type.tensorType.dimensions][2:]
            for i, k in enumerate(kernel):
                natural = (strides[i] * (size_in[2 + i] - 1) + (k - 1) * dilations[i] + 1
                           - pads[2 * i] - pads[2 * i + 1])
                check(shape[2 + i] == natural,
                      f"{where}: output_shape {shape} is not the size its pads give "
                      f"({natural} along spatial dim {i})")


def check_affine_dequantize(where, op):
    """constexpr_affine_dequantize as Core ML's iOS16 definition (the one
    iOS17 programs use) takes it: every parameter an attribute; 8-bit data;
    a zero point (8-bit or fp32) and an fp16/fp32 scale, each a scalar or one
    per index of `axis`; the result of the scale's type and the data's
    shape."""
    a = op.attributes
    if not check(all(k in a for k in ("quantized_data", "zero_point", "scale", "axis")) and
                 not op.inputs, f"{where}: parameters must be the attributes quantized_data, "
                 "zero_point, scale and axis"):
        return
    data, zero, scale = (a[k].type.tensorType for k in ("quantized_data", "zero_point", "scale"))
    check(data.dataType in (MIL_pb2.UINT8, MIL_pb2.INT8), f"{where}: quantized_data not 8-bit")
    check(zero.dataType in (MIL_pb2.UINT8, MIL_pb2.INT8, MIL_pb2.FLOAT32),
          f"{where}: zero_point of type {zero.dataType}")
    check(scale.dataType in (MIL_pb2.FLOAT16, MIL_pb2.FLOAT32), f"{where}: scale not fp16/fp32")
    axis_value = a["axis"]
    check(axis_value.type.tensorType.dataType == MIL_pb2.INT32 and axis_value.type.tensorType.rank == 0,
          f"{where}: axis not an int32 scalar")
    axis = axis_value.immediateValue.tensor.ints.values[0]
    shape = [d.constant.size for d in data.dimensions]
    check(-len(shape) <= axis < len(shape), f"{where}: axis {axis} outside rank {len(shape)}")
    for name, t in (("zero_point", zero), ("scale", scale)):
        check(t.rank <= 1, f"{where}: {name} of rank {t.rank}")
        if t.rank == 1 and -len(shape) <= axis < len(shape):
            check(t.dimensions[0].constant.size == shape[axis],
                  f"{where}: {name} of {t.dimensions[0].constant.size} values for axis {axis} of {shape}")
    out = op.outputs[0].type.tensorType
    check(out.dataType == scale.dataType, f"{where}: result not of the scale's type")
    check([d.constant.size for d in out.dimensions] == shape, f"{where}: result not of the data's shape")


defined = {i.name for i in main.inputs}
names = set()
for index, op in enumerate(block.operations):
    where = f"op {index} ({op.type})"
    if check("name" in op.attributes, f"{where}: no name attribute"):
        name = op.attributes["name"].immediateValue.tensor.strings.values[0]
        check(name not in names, f"{where}: name {name} used twice")
        names.add(name)
    for param, argument in op.inputs.items():
        for binding in argument.arguments:
            check(binding.name in defined, f"{where}: input {param} names undefined {binding.name}")
    if op.type == "const":
        check("val" in op.attributes, f"{where}: const without val")
    # A const's val and a constexpr op's parameters are attributes; their
    # blobs must be where weight.bin says.
    for key, val in op.attributes.items():
        if val.HasField("blobFileValue"):
            check_blob(f"{where} {key}", val)
    if op.type == "constexpr_affine_dequantize":
        check_affine_dequantize(where, op)
    check_op_rules(where, op)
    for out in op.outputs:
        defined.add(out.name)
for name in block.outputs:
    check(name in defined, f"block output {name} is not defined")
check(count == len(referenced), f"weight.bin: header counts {count} blobs, the program uses {len(referenced)}")

type_names = {MIL_pb2.FLOAT16: "fp16", MIL_pb2.FLOAT32: "fp32", MIL_pb2.INT32: "int32",
              MIL_pb2.INT8: "int8", MIL_pb2.UINT8: "uint8", MIL_pb2.BOOL: "bool",
              MIL_pb2.STRING: "string"}


def type_text(value_type):
    tensor = value_type.tensorType
    dims = ",".join(str(d.constant.size) for d in tensor.dimensions)
    return f"{type_names.get(tensor.dataType, tensor.dataType)}[{dims}]"


def value_text(val):
    if val.HasField("blobFileValue"):
        return f"blob @{val.blobFileValue.offset}"
    tensor = val.immediateValue.tensor
    kind = tensor.WhichOneof("value")
    if kind == "bytes":
        raw = tensor.bytes.values
        element = {MIL_pb2.INT8: "b", MIL_pb2.UINT8: "B"}.get(val.type.tensorType.dataType, "e")
        items = list(struct.unpack(f"<{len(raw) // struct.calcsize(element)}{element}", raw))
    else:
        items = list(getattr(tensor, kind).values)
    text = [repr(v) if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
            for v in items]
    return text[0] if val.type.tensorType.rank == 0 and len(text) == 1 else "[" + ", ".join(text) + "]"


if printing:
    print(f"metadata: author {metadata.author!r}, version {metadata.versionString!r}, "
          f"description {metadata.shortDescription!r}, "
          f"user-defined {dict(sorted(metadata.userDefined.items()))}")
    print("inputs: " + ", ".join(f"{i.name} : {type_text(i.type)}" for i in main.inputs))
    for op in block.operations:
        out = ", ".join(o.name for o in op.outputs)
        if op.type == "const":
            print(f"{out} = const({type_text(op.outputs[0].type)} {value_text(op.attributes['val'])})")
        elif op.type.startswith("constexpr_"):
            args = ", ".join(f"{k}={type_text(v.type)} {value_text(v)}"
                             for k, v in sorted(op.attributes.items()) if k != "name")
            print(f"{out} = {op.type}({args}) : {type_text(op.outputs[0].type)}")
        else:
            args = ", ".join(f"{k}=" + "|".join(b.name for b in op.inputs[k].arguments)
                             for k in sorted(op.inputs))
            print(f"{out} = {op.type}({args}) : {type_text(op.outputs[0].type)}")
    print("outputs: " + ", ".join(block.outputs))

ops = [op.type for op in block.operations if op.type != "const"]
if errors:
    for e in errors[:20]:
        print("INVALID:", e)
    print("0 passed, 1 failed")
    sys.exit(1)
print(f"{os.path.basename(package.rstrip('/'))}: valid ML Program, spec 8, CoreML7, {len(ops)} ops "
      f"({len(set(ops))} kinds), {len(referenced)} blobs, {len(weights)} bytes of weights")
print("1 passed, 0 failed")
