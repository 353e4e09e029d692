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
  tensor's type, and every blob in the file is referenced;
- every op of every function and block against its CoreML7 signature
  (coreml7_op_signatures.py, read from coremltools' iOS15-iOS17 op
  definitions): its type is in the table; it binds only inputs the op has
  (a const's and a constexpr op's parameters are attributes), every
  required one, one value each (one or more for concat's values); an input
  the definition wants const is bound to a const's or a constexpr op's
  result or to an inline value; every value's type is in the input's
  domain, its rank within bounds, a vector's length as the definition says
  (e.g. conv's strides one per spatial dim, batch_norm's mean one per
  channel), a const string one of its values (pad_type, mode, cast's
  dtype); inputs of one type parameter have one type; every value's
  declared rank is its number of dimensions; the result has the type and
  shape the signature gives (x's, the broadcast of x and y, cast's dtype);
  and the definitions' own checks: clip's alpha below beta; conv's input
  channels in groups of the weight's dim 1, no dilation with a weight that
  is not const, and its result size; conv_transpose's output_shape and
  bias; pools' ceil_mode (at most 2-D, not with same) and result size;
  reductions', pad's, reshape's, transpose's, upsampling's and shape's
  result shapes; layer_norm's axes and gamma/beta of x's shape at them;
  matmul's operand types (two types only when one is a const) and result;
  concat's values of one rank and type and its result.

With --print, also prints the program one op per line, MIL-text style:
  conv_9 = conv(bias=const_8, dilations=dilations_6, ...) : fp16[1,3,6,3]
  const_8 = const(fp16[3] [0.5, -0.5, 65504.0])

usage: validate_mlpackage.py PACKAGE_DIR SCHEMA_DIR (the source tree root) [--print]"""
import json
import math
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


# Every op of every function and block against CoreML7's op signatures
# (coreml7_op_signatures.py, from coremltools' iOS15-iOS17 definitions).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coreml7_op_signatures import SIGNATURES, BROADCAST, RankOf, Same, ValueOf  # noqa: E402

dtype_names = {MIL_pb2.BOOL: "bool", MIL_pb2.STRING: "string", MIL_pb2.FLOAT16: "fp16",
               MIL_pb2.FLOAT32: "fp32", MIL_pb2.FLOAT64: "fp64", MIL_pb2.BFLOAT16: "bf16",
               MIL_pb2.INT8: "int8", MIL_pb2.INT16: "int16", MIL_pb2.INT32: "int32",
               MIL_pb2.INT64: "int64", MIL_pb2.UINT8: "uint8", MIL_pb2.UINT16: "uint16",
               MIL_pb2.UINT32: "uint32", MIL_pb2.UINT64: "uint64"}


class Typed:
    """A value's element type and shape, what made it (an op type, "input"
    or "literal") and, for a const or a literal, its Value."""

    def __init__(self, where, value_type, producer, value=None):
        tensor = value_type.tensorType
        check(value_type.HasField("tensorType"), f"{where}: a value without a tensor type")
        check(tensor.rank == len(tensor.dimensions),
              f"{where}: rank {tensor.rank} with {len(tensor.dimensions)} dimensions")
        self.dtype = dtype_names.get(tensor.dataType, f"type {tensor.dataType}")
        self.shape = [d.constant.size for d in tensor.dimensions]
        self.producer, self.value = producer, value

    @property
    def const(self):
        return self.producer in ("const", "literal") or self.producer.startswith("constexpr_")

    def values(self):
        """The elements of a const or literal held inline, else None."""
        if self.value is None or not self.value.HasField("immediateValue"):
            return None
        tensor = self.value.immediateValue.tensor
        kind = tensor.WhichOneof("value")
        if kind is None:
            return []
        if kind != "bytes":
            return list(getattr(tensor, kind).values)
        element = {"fp16": "e", "int8": "b", "uint8": "B", "int16": "h", "uint16": "H"}.get(self.dtype)
        raw = tensor.bytes.values
        return list(struct.unpack(f"<{len(raw) // struct.calcsize(element)}{element}", raw)) if element else None


def first(bound, name):
    return bound[name][0] if bound.get(name) else None


def scalar(bound, name, default=None):
    v = first(bound, name)
    items = v.values() if v else None
    return items[0] if items else default


def resolve(ref, bound):
    """An RankOf or DimOf reference's number, None if what it names is unbound."""
    v = first(bound, ref.name)
    if v is None:
        return None
    if isinstance(ref, RankOf):
        return ref.times * (len(v.shape) - ref.minus)
    return v.shape[ref.axis] if -len(v.shape) <= ref.axis < len(v.shape) else None


def broadcast(a, b):
    """numpy's broadcast of shapes a and b, None if they do not."""
    a, b = [1] * (len(b) - len(a)) + list(a), [1] * (len(a) - len(b)) + list(b)
    if any(x != y and 1 not in (x, y) for x, y in zip(a, b)):
        return None
    return [max(x, y) if 1 in (x, y) else x for x, y in zip(a, b)]


def pool_size(size, before, after, kernel, stride, dilation=1, ceil=False):
    """A spatial output size, as coremltools' spatial_dimensions_out_shape."""
    pad, kernel = before + after, (kernel - 1) * dilation + 1
    if not ceil:
        return (size + pad - kernel) // stride + 1
    out = (size + pad - kernel + stride - 1) // stride + 1
    return out - 1 if (out - 1) * stride >= size + pad / 2 and pad > 0 else out


def spatial_sizes(where, x, kernel, bound, dilations=None, ceil=False):
    """The spatial output sizes for pad_type valid or custom, else None."""
    pad_type = scalar(bound, "pad_type", "valid")
    n = len(x.shape) - 2
    strides = (first(bound, "strides").values() if "strides" in bound else None) or [1] * n
    pads = (first(bound, "pad").values() if "pad" in bound and pad_type == "custom" else None) or [0] * 2 * n
    dilations = dilations or [1] * n
    if pad_type not in ("valid", "custom") or not (len(strides) == len(dilations) == len(kernel) == n
                                                    and len(pads) == 2 * n):
        return None
    return [pool_size(x.shape[2 + i], pads[2 * i], pads[2 * i + 1], kernel[i], strides[i], dilations[i], ceil)
            for i in range(n)]


def rule_alpha_below_beta(where, bound, out):
    alpha, beta = scalar(bound, "alpha"), scalar(bound, "beta")
    check(alpha is None or beta is None or alpha < beta,
          f"{where}: alpha {alpha} is not below beta {beta} (iOS17 clip)")


def bound_axes(where, bound, x):
    """The op's `axes` (all of x's when not bound) as non-negative dims, or
    None when they are unknown or outside x's rank (reported)."""
    rank = len(x.shape)
    axes = first(bound, "axes").values() if "axes" in bound else list(range(rank))
    if axes is None or not check(all(-rank <= a < rank for a in axes),
                                 f"{where}: axes {axes} outside x's rank {rank}"):
        return None
    return {a % rank for a in axes}


def rule_reduce(where, bound, out):
    x = first(bound, "x")
    axes = bound_axes(where, bound, x)
    if axes is None:
        return
    if scalar(bound, "keep_dims", False):
        shape = [1 if i in axes else d for i, d in enumerate(x.shape)]
    else:
        shape = [d for i, d in enumerate(x.shape) if i not in axes]
    check(out.shape == shape, f"{where}: result of shape {out.shape}, the reduction gives {shape}")


def rule_conv(where, bound, out):
    x, weight = first(bound, "x"), first(bound, "weight")
    groups = scalar(bound, "groups", 1)
    dilations = first(bound, "dilations").values() if "dilations" in bound else None
    if len(x.shape) >= 2 and len(weight.shape) >= 2:
        c_in = x.shape[1]
        check(groups > 0 and c_in % groups == 0 and c_in // groups == weight.shape[1],
              f"{where}: {c_in} input channels in {groups} groups for a weight of {weight.shape}")
    check(weight.const or not any(d > 1 for d in dilations or []),
          f"{where}: dilations {dilations} with a weight that is not const")
    sizes = spatial_sizes(where, x, weight.shape[2:], bound, dilations)
    if sizes is not None and len(x.shape) == len(weight.shape):
        shape = [x.shape[0], weight.shape[0]] + sizes
        check(out.shape == shape, f"{where}: result of shape {out.shape}, the convolution gives {shape}")


def rule_conv_transpose(where, bound, out):
    x, weight = first(bound, "x"), first(bound, "weight")
    groups = scalar(bound, "groups", 1)
    if len(weight.shape) < 2 or len(x.shape) < 2:
        return
    c_out = weight.shape[1] * groups
    bias = first(bound, "bias")
    check(bias is None or bias.shape == [c_out], f"{where}: bias of shape {bias and bias.shape}, "
          f"not [{c_out}] (weight's dim 1 * groups)")
    shape = first(bound, "output_shape").values() if "output_shape" in bound else None
    if shape is not None:
        check(shape[:2] == [x.shape[0], c_out],
              f"{where}: output_shape {shape} does not start [{x.shape[0]}, {c_out}]")
        check(out.shape == shape, f"{where}: result of shape {out.shape}, output_shape {shape}")


def rule_pool(where, bound, out):
    x = first(bound, "x")
    ceil = scalar(bound, "ceil_mode", False)
    if ceil:
        check(len(x.shape) - 2 <= 2, f"{where}: ceil_mode on a {len(x.shape) - 2}-D pool")
        check(scalar(bound, "pad_type") != "same", f"{where}: ceil_mode with pad_type same")
    kernel = first(bound, "kernel_sizes").values()
    sizes = spatial_sizes(where, x, kernel or [], bound, ceil=ceil) if kernel else None
    if sizes is not None:
        shape = x.shape[:2] + sizes
        check(out.shape == shape, f"{where}: result of shape {out.shape}, the pool gives {shape}")


def rule_layer_norm(where, bound, out):
    x = first(bound, "x")
    axes = bound_axes(where, bound, x)
    if axes is None:
        return
    normalized = [d for i, d in enumerate(x.shape) if i in axes]
    for param in ("gamma", "beta"):
        v = first(bound, param)
        check(v is None or v.shape == normalized,
              f"{where}: {param} of shape {v and v.shape}, not x's at axes {axes}: {normalized}")


def rule_matmul(where, bound, out):
    x, y = first(bound, "x"), first(bound, "y")
    x_const, y_const = x.producer in ("const", "literal"), y.producer in ("const", "literal")
    if x_const == y_const:
        check(x.dtype == y.dtype, f"{where}: x {x.dtype} and y {y.dtype}, both "
              f"{'const' if x_const else 'not const'}")
    dtype = y.dtype if x_const and not y_const else x.dtype
    check(out.dtype == dtype, f"{where}: result {out.dtype}, not {dtype}")
    xs, ys = list(x.shape), list(y.shape)
    for name, s in (("x", xs), ("y", ys)):
        if scalar(bound, f"transpose_{name}", False):
            if not check(len(s) >= 2, f"{where}: transpose_{name} of a rank-1 {name}"):
                return
            s[-1], s[-2] = s[-2], s[-1]
    if not xs or not ys:
        return
    xm = [1] + xs if len(xs) == 1 else xs
    ym = ys + [1] if len(ys) == 1 else ys
    if not check(xm[-1] == ym[-2], f"{where}: x {x.shape} and y {y.shape} do not multiply"):
        return
    batch = broadcast(xm[:-2], ym[:-2])
    if not check(batch is not None, f"{where}: batch dims of {x.shape} and {y.shape} do not broadcast"):
        return
    shape = batch + [xm[-2], ym[-1]]
    if len(ys) == 1:
        del shape[-1]
    if len(xs) == 1:
        del shape[-2 if len(ys) != 1 else -1]
    check(out.shape == shape, f"{where}: result of shape {out.shape}, the product gives {shape}")


def rule_concat(where, bound, out):
    values = bound["values"]
    rank, dtype = len(values[0].shape), values[0].dtype
    if not check(all(len(v.shape) == rank for v in values),
                 f"{where}: values of ranks {[len(v.shape) for v in values]}"):
        return
    check(all(v.dtype == dtype for v in values), f"{where}: values of types {[v.dtype for v in values]}")
    axis = scalar(bound, "axis")
    if axis is None or not check(rank == 0 or -rank <= axis < rank,
                                 f"{where}: axis {axis} outside rank {rank}"):
        return
    if rank == 0:
        return
    axis %= rank
    same = all(v.shape[i] == values[0].shape[i] for v in values for i in range(rank) if i != axis)
    check(same, f"{where}: values of shapes {[v.shape for v in values]} differ off axis {axis}")
    if scalar(bound, "interleave", False):
        check(all(v.shape == values[0].shape for v in values),
              f"{where}: interleave with values of shapes {[v.shape for v in values]}")
    shape = list(values[0].shape)
    shape[axis] = sum(v.shape[axis] for v in values)
    check(not same or out.shape == shape, f"{where}: result of shape {out.shape}, the values give {shape}")


def rule_pad(where, bound, out):
    x, pad = first(bound, "x"), first(bound, "pad")
    pads = pad.values() if pad.const else None
    if pads is None:
        check(pad.shape == [2 * len(x.shape)], f"{where}: a pad that is not const of "
              f"shape {pad.shape}, not [{2 * len(x.shape)}]")
        return
    if not check(len(pads) % 2 == 0 and len(pads) <= 2 * len(x.shape) and min(pads, default=0) >= 0,
                 f"{where}: pad {pads} for rank {len(x.shape)}"):
        return
    shape = list(x.shape)
    n = len(pads) // 2
    for i in range(n):
        shape[len(shape) - n + i] += pads[2 * i] + pads[2 * i + 1]
    check(out.shape == shape, f"{where}: result of shape {out.shape}, the pads give {shape}")


def rule_shape(where, bound, out):
    check(out.shape == [len(first(bound, "x").shape)], f"{where}: result of shape {out.shape}")


def rule_reshape(where, bound, out):
    x, shape = first(bound, "x"), first(bound, "shape")
    target = shape.values() if shape.const else None
    if target is None:
        check(len(out.shape) == (shape.shape[0] if shape.shape else -1),
              f"{where}: result of rank {len(out.shape)} for a shape of {shape.shape}")
        return
    if not check(target.count(-1) <= 1, f"{where}: shape {target} has more than one -1"):
        return
    # iOS17: a 0 takes x's dim counted from the right, 1 past x's rank.
    resolved = list(target)
    for back in range(1, len(resolved) + 1):
        if resolved[-back] == 0:
            resolved[-back] = x.shape[-back] if back <= len(x.shape) else 1
    elements = 1
    for d in x.shape:
        elements *= d
    if -1 in resolved:
        rest = 1
        for d in resolved:
            rest *= d if d != -1 else 1
        resolved[resolved.index(-1)] = elements // rest if rest else 0
    count = 1
    for d in resolved:
        count *= d
    check(count == elements, f"{where}: shape {target} for x of {x.shape}")
    check(out.shape == resolved, f"{where}: result of shape {out.shape}, shape {target} gives {resolved}")


def rule_transpose(where, bound, out):
    x, perm = first(bound, "x"), first(bound, "perm").values()
    if perm is None or len(perm) != len(x.shape):
        return
    check(sorted(p % len(x.shape) for p in perm) == list(range(len(x.shape))),
          f"{where}: perm {perm} is not a permutation")
    check(out.shape == [x.shape[p] for p in perm], f"{where}: result of shape {out.shape}, "
          f"perm {perm} of {x.shape} gives {[x.shape[p] for p in perm]}")


def rule_upsample(where, bound, out):
    x = first(bound, "x")
    h, w = scalar(bound, "scale_factor_height", 1), scalar(bound, "scale_factor_width", 1)
    if len(x.shape) < 3 or h is None or w is None:
        return
    shape = x.shape[:-2] + [math.floor(x.shape[-2] * h), math.floor(x.shape[-1] * w)]
    check(out.shape == shape, f"{where}: result of shape {out.shape}, the scales give {shape}")


def rule_broadcast(where, bound, out):
    x, y = first(bound, "x"), first(bound, "y")
    check(broadcast(x.shape, y.shape) is not None, f"{where}: x {x.shape} and y {y.shape} do not broadcast")


rules = {name[5:]: f for name, f in globals().items() if name.startswith("rule_")}


def check_signature(where, op, env):
    """`op` against its CoreML7 signature; `env` maps the names defined
    before it to their Typed."""
    sig = SIGNATURES.get(op.type)
    if not check(sig is not None, f"{where}: {op.type} is not a CoreML7 op of the table"):
        return
    specs = {spec.name: spec for spec in sig.inputs}
    bound = {}
    if sig.attributes:
        check(not op.inputs, f"{where}: inputs {sorted(op.inputs)}; its parameters are attributes")
        for key, val in op.attributes.items():
            if key != "name" and check(key in specs, f"{where}: no parameter {key}"):
                bound[key] = [Typed(f"{where} {key}", val.type, "literal", val)]
    else:
        for key, argument in op.inputs.items():
            if not check(key in specs, f"{where}: {op.type} has no input {key}"):
                continue
            count = len(argument.arguments)
            check(count >= 1 if specs[key].variadic else count == 1,
                  f"{where}: {key} binds {count} values")
            values = []
            for b in argument.arguments:
                if b.HasField("value"):
                    values.append(Typed(f"{where} {key}", b.value.type, "literal", b.value))
                elif check(b.name in env, f"{where}: {key} names {b.name}, not defined before"):
                    values.append(env[b.name])
            if values:
                bound[key] = values
    for spec in sig.inputs:
        check(spec.optional or spec.name in bound, f"{where}: required input {spec.name} is not bound")
    shared = {}
    for key, values in bound.items():
        spec = specs[key]
        allowed = sig.type_params[spec.types] if isinstance(spec.types, str) else spec.types
        for v in values:
            check(not spec.const or v.const,
                  f"{where}: {key} must be const (coremltools: const at compile time), "
                  f"bound to a {v.producer} result")
            check(v.dtype in allowed, f"{where}: {key} is {v.dtype}, not one of {', '.join(allowed)}")
            if isinstance(spec.types, str):
                shared.setdefault(spec.types, []).append((key, v.dtype))
            rank = len(v.shape)
            if isinstance(spec.rank, RankOf):
                want = resolve(spec.rank, bound)
                check(want is None or rank == want, f"{where}: {key} of rank {rank}, not {want}")
            elif spec.rank is not None:
                low, high = spec.rank
                check(low <= rank and (high is None or rank <= high),
                      f"{where}: {key} of rank {rank}, not {low}..{'' if high is None else high}")
            if spec.length is not None and rank == 1:
                want = spec.length if isinstance(spec.length, int) else resolve(spec.length, bound)
                check(want is None or v.shape[0] == want,
                      f"{where}: {key} of {v.shape[0]} values, not {want}")
            if spec.values is not None:
                items = v.values()
                check(items is None or all(i in spec.values for i in items),
                      f"{where}: {key} {items}, not one of {', '.join(spec.values)}")
    for param, members in shared.items():
        check(len({dtype for _, dtype in members}) <= 1,
              f"{where}: inputs of one type {param} differ: "
              + ", ".join(f"{k} {dtype}" for k, dtype in members))
    if not check(len(op.outputs) == 1, f"{where}: {len(op.outputs)} results, not 1"):
        return
    out = Typed(f"{where} result", op.outputs[0].type, op.type)
    if any(spec.name not in bound and not spec.optional for spec in sig.inputs):
        return  # the rules below read the required inputs
    dtype, shape = sig.output
    want = (first(bound, dtype.name).dtype if isinstance(dtype, Same) else
            (first(bound, dtype.name).values() or [None])[0] if isinstance(dtype, ValueOf) else dtype)
    check(want is None or out.dtype == want, f"{where}: result {out.dtype}, not {want}")
    if isinstance(shape, Same):
        check(out.shape == first(bound, shape.name).shape,
              f"{where}: result of shape {out.shape}, not {shape.name}'s {first(bound, shape.name).shape}")
    elif shape == BROADCAST:
        want = broadcast(first(bound, "x").shape, first(bound, "y").shape)
        check(want is None or out.shape == want, f"{where}: result of shape {out.shape}, not {want}")
    if op.type == "const":
        items = first(bound, "val").values()
        elements = 1
        for d in out.shape:
            elements *= d
        check(items is None or len(items) == elements or (out.dtype == "string" and len(items) == 1),
              f"{where}: val holds {len(items or [])} values for shape {out.shape}")
    for rule in sig.rules:
        rules[rule](where, bound, out)


def check_block(prefix, blk, env):
    env = dict(env)
    for value in blk.inputs:
        env[value.name] = Typed(f"{prefix} input {value.name}", value.type, "input")
    for index, op in enumerate(blk.operations):
        label = op.outputs[0].name if op.outputs else "?"
        where = f"{prefix}op {index} ({op.type} {label})"
        check_signature(where, op, env)
        for inner in op.blocks:
            check_block(f"{where} block: ", inner, env)
        for out in op.outputs:
            env[out.name] = Typed(f"{where} result", out.type, op.type,
                                  op.attributes["val"] if op.type == "const" and "val" in op.attributes else None)


for function_name, function in program.functions.items():
    inputs = {i.name: Typed(f"function {function_name} input {i.name}", i.type, "input")
              for i in function.inputs}
    for opset, specialized in function.block_specializations.items():
        prefix = "" if (function_name, opset) == ("main", "CoreML7") else f"{function_name}/{opset}: "
        check_block(prefix, specialized, inputs)

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
