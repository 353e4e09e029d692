"""Small ONNX models, one per Core ML op rule that lathe's ane target once
broke, written with onnx.helper: each either becomes a program Core ML's
validators accept (and the reference executor runs within fp16 tolerance of
ONNX Runtime) or leaves the op on the cpu with the rule in --stats.

Usage: python3 make_core_ml_rule_models.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)


def const(name, shape, scale=1.0, offset=0.0):
    return numpy_helper.from_array((offset + scale * rng.standard_normal(shape)).astype(np.float32), name)


def save(out_dir, name, nodes, inputs, outputs, initializers, declared=None):
    """`outputs` are names; their shapes are ONNX's shape inference's, or
    `declared`'s (name -> shape) where it disagrees with ONNX Runtime."""
    graph = helper.make_graph(nodes, name, inputs, [], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    inferred = {v.name: v for v in onnx.shape_inference.infer_shapes(model).graph.value_info}
    for o, shape in (declared or {}).items():
        inferred[o] = tensor(o, shape)
    model.graph.output.extend(inferred[o] for o in outputs)
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out_dir, name + ".onnx"))


def tensor(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    # A rank-0 input and a rank-0 output: Core ML describes scalars as [1].
    save(out_dir, "scalar_io",
         [helper.make_node("Mul", ["s", "x"], ["scaled"]),
          helper.make_node("Relu", ["scaled"], ["y"]),
          helper.make_node("ReduceSum", ["y"], ["total"], keepdims=0),
          helper.make_node("Mul", ["total", "s"], ["t"])],
         [tensor("s", []), tensor("x", [2, 3])], ["y", "t"], [])
    # Batch norm with statistics that are graph inputs (and one with
    # constants, which stays on the ane).
    save(out_dir, "batch_norm_runtime_statistics",
         [helper.make_node("BatchNormalization", ["x", "gamma", "beta", "mean", "var"], ["a"]),
          helper.make_node("BatchNormalization", ["a", "g2", "b2", "m2", "v2"], ["y"])],
         [tensor("x", [1, 4, 5, 5]), tensor("mean", [4]), tensor("var", [4])], ["y"],
         [const("gamma", [4]), const("beta", [4]), const("g2", [4]), const("b2", [4]),
          const("m2", [4]), numpy_helper.from_array(np.abs(rng.standard_normal(4)).astype(np.float32) + 0.5, "v2")])
    # Instance norm with a runtime scale.
    save(out_dir, "instance_norm_runtime_scale",
         [helper.make_node("InstanceNormalization", ["x", "scale", "bias"], ["y"])],
         [tensor("x", [1, 3, 4, 6]), tensor("scale", [3])], ["y"],
         [const("bias", [3])])
    # Pools with ceil_mode and asymmetric pads (and one with symmetric).
    save(out_dir, "pool_ceil_mode_asymmetric_pads",
         [helper.make_node("MaxPool", ["x"], ["a"], kernel_shape=[3, 3], strides=[2, 2],
                           pads=[0, 0, 1, 1], ceil_mode=1),
          helper.make_node("AveragePool", ["x"], ["b"], kernel_shape=[2, 2], strides=[2, 2],
                           pads=[1, 0, 0, 1], ceil_mode=1, count_include_pad=0),
          helper.make_node("MaxPool", ["x"], ["c"], kernel_shape=[3, 3], strides=[2, 2],
                           pads=[1, 1, 1, 1], ceil_mode=1)],
         [tensor("x", [1, 2, 8, 9])], ["a", "b", "c"], [])
    # Layer norm with a runtime scale and a constant bias: LN(x) * s + b.
    save(out_dir, "layer_norm_runtime_scale_constant_bias",
         [helper.make_node("LayerNormalization", ["x", "scale", "bias"], ["y"], axis=-1)],
         [tensor("x", [2, 3, 8]), tensor("scale", [8])], ["y"],
         [const("bias", [8], 1.0, 2.0)])
    # Transposed convolutions with output_padding: within the end pads, and
    # beyond them (the extra rows and columns hold only the bias).
    save(out_dir, "conv_transpose_output_padding",
         [helper.make_node("ConvTranspose", ["x", "w", "b"], ["a"], strides=[2, 2],
                           pads=[1, 1, 1, 1], output_padding=[1, 1]),
          helper.make_node("ConvTranspose", ["x", "w", "b"], ["c"], strides=[3, 2],
                           pads=[0, 1, 0, 0], output_padding=[2, 1])],
         [tensor("x", [1, 3, 4, 5])], ["a", "c"],
         [const("w", [3, 2, 3, 3]), const("b", [2], 1.0, 3.0)])
    # Clip whose bounds meet in fp16 (1 and 1.0001 are both 1.0 there) and
    # clip whose minimum passes its maximum (ONNX: every value becomes the
    # maximum): Core ML's clip needs alpha below beta.
    save(out_dir, "clip_bounds_meet",
         [helper.make_node("Clip", ["x", "lo", "hi"], ["a"]),
          helper.make_node("Clip", ["a", "hi", "lo"], ["y"])],
         [tensor("x", [2, 5])], ["y"],
         [numpy_helper.from_array(np.array(1.0, np.float32), "lo"),
          numpy_helper.from_array(np.array(1.0001, np.float32), "hi")])
    # A dilated convolution whose weights are a graph input: Core ML takes
    # dilations only with constant weights.
    save(out_dir, "conv_runtime_weight_dilated",
         [helper.make_node("Conv", ["x", "w"], ["y"], dilations=[2, 2], pads=[2, 2, 2, 2])],
         [tensor("x", [1, 2, 7, 7]), tensor("w", [3, 2, 3, 3])], ["y"], [])
    # Batch norm of a (N, C) input and instance norm of a 5-D one, outside
    # the ranks Core ML's definitions take.
    save(out_dir, "batch_norm_rank_2",
         [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"])],
         [tensor("x", [2, 3])], ["y"],
         [const("g", [3]), const("b", [3]), const("m", [3]),
          numpy_helper.from_array(np.abs(rng.standard_normal(3)).astype(np.float32) + 0.5, "v")])
    save(out_dir, "instance_norm_rank_5",
         [helper.make_node("InstanceNormalization", ["x", "g", "b"], ["y"])],
         [tensor("x", [1, 3, 2, 3, 4])], ["y"], [const("g", [3]), const("b", [3])])
    # A pool with ceil_mode whose last window would start past the input:
    # ONNX Runtime drops it (2 x 2 here; the shape inference of ONNX 1.12
    # still says 3 x 3), Core ML keeps it without padding.
    save(out_dir, "pool_ceil_mode_last_window",
         [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[1, 1], strides=[3, 3],
                           ceil_mode=1)],
         [tensor("x", [1, 2, 5, 5])], ["y"], [], declared={"y": [1, 2, 2, 2]})


if __name__ == "__main__":
    main(sys.argv[1])
