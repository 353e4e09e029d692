#!/usr/bin/python3
"""Writes ONNX models in the shape of three common architectures, with seeded
random weights, for the memory-planning and numerics tests: a ResNet-style
CNN (conv-BN-ReLU blocks with residual adds), a MobileNetV2-style CNN
(inverted residuals with depthwise convolutions) and a transformer encoder
written the way PyTorch's exporter writes it (LayerNorm and GELU as
primitive ops, attention as MatMul/Softmax/MatMul). No model hub is
reachable here, so these stand in for exported models of those families.

Usage: make_architecture_models.py OUTPUT_DIR"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(2026)
nodes, inits = [], []
counter = [0]


def name(prefix):
    counter[0] += 1
    return f"{prefix}_{counter[0]}"


def const(array, prefix="w"):
    n = name(prefix)
    inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), n))
    return n


def op(op_type, inputs, **attrs):
    out = name(op_type.lower())
    nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
    return out


def conv_bn(x, cin, cout, k, stride=1, group=1, relu=True):
    w = const(rng.normal(0, (2.0 / (cin // group * k * k)) ** 0.5, (cout, cin // group, k, k)))
    y = op("Conv", [x, w], pads=[k // 2] * 4, strides=[stride, stride], group=group)
    y = op("BatchNormalization", [y, const(rng.uniform(0.5, 1.5, cout)), const(rng.normal(0, 0.1, cout)),
                                  const(rng.normal(0, 0.1, cout)), const(rng.uniform(0.5, 1.5, cout))])
    return op("Relu", [y]) if relu else y


def finish(graph_name, x_shape, out, out_shape, path, more_outputs=()):
    outputs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, shape)
               for o, shape in [(out, out_shape), *more_outputs]]
    graph = helper.make_graph(nodes, graph_name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, path)
    nodes.clear()
    inits.clear()


def resnet(path):
    x = conv_bn("x", 3, 16, 3)
    c = 16
    for stage, cout in enumerate([16, 32, 64]):
        for block in range(2):
            stride = 2 if block == 0 and stage > 0 else 1
            y = conv_bn(x, c, cout, 3, stride)
            y = conv_bn(y, cout, cout, 3, relu=False)
            shortcut = x if stride == 1 and c == cout else conv_bn(x, c, cout, 1, stride, relu=False)
            x = op("Relu", [op("Add", [y, shortcut])])
            c = cout
    x = op("Flatten", [op("GlobalAveragePool", [x])])
    out = op("Gemm", [x, const(rng.normal(0, 0.1, (10, c))), const(np.zeros(10))], transB=1)
    finish("resnet_style", [1, 3, 64, 64], out, [1, 10], path)


def mobilenet_v2(path):
    x = conv_bn("x", 3, 16, 3, stride=2)
    c = 16
    for expand, cout, repeats, stride in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 2, 2)]:
        for r in range(repeats):
            s = stride if r == 0 else 1
            hidden = c * expand
            y = conv_bn(x, c, hidden, 1) if expand != 1 else x
            y = conv_bn(y, hidden, hidden, 3, s, group=hidden)
            y = conv_bn(y, hidden, cout, 1, relu=False)
            x = op("Add", [x, y]) if s == 1 and c == cout else y
            c = cout
    x = conv_bn(x, c, 128, 1)
    x = op("Flatten", [op("GlobalAveragePool", [x])])
    out = op("Gemm", [x, const(rng.normal(0, 0.1, (10, 128))), const(np.zeros(10))], transB=1)
    finish("mobilenet_v2_style", [1, 3, 96, 96], out, [1, 10], path)


def conv_layouts(path):
    """Every convolution form the channels-last path takes, and every op
    transposes sink through: grouped, strided, dilated and asymmetrically
    padded convolutions, a squeeze-and-excitation gate (global pool, 1x1
    convs, HardSigmoid, broadcast Mul), a constant broadcast Add, Concat,
    nearest Resize, a convolution with a bias, and an average pool."""
    def conv(x, cin, cout, k, **attrs):
        group = attrs.get("group", 1)
        w = const(rng.normal(0, (2.0 / (cin // group * k * k)) ** 0.5, (cout, cin // group, k, k)))
        b = const(rng.normal(0, 0.1, cout))
        return op("Conv", [x, w, b], **attrs)
    a = op("Relu", [conv("x", 8, 16, 3, pads=[1, 1, 1, 1], strides=[2, 2], group=2)])
    b = op("Clip", [conv(a, 16, 16, 3, pads=[2, 2, 2, 2], dilations=[2, 2]), const(0.0), const(6.0)])
    c = conv(b, 16, 16, 3, pads=[0, 1, 2, 1], group=16)
    gate = op("HardSigmoid", [conv(op("Relu", [conv(op("GlobalAveragePool", [c]), 16, 4, 1)]), 4, 16, 1)])
    d = op("Add", [op("Mul", [c, gate]), const(rng.normal(0, 0.1, (16, 1, 1)))])
    e = op("Concat", [d, a], axis=1)
    up = op("Resize", [e, "", const(np.array([1, 1, 2, 2]))], mode="nearest")
    # A padded average pool after the last convolution pools channels last,
    # each border position divided by the pixels its window holds.
    out = op("AveragePool", [conv(up, 32, 8, 1)], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    finish("conv_layouts", [1, 8, 20, 20], out, [1, 8, 20, 20], path)


def dense_layers(path):
    """Products whose constant weights are packed in column panels: a batched
    MatMul with bias and Relu (37 columns: a partial last panel), a wide one
    (700 columns), and a Gemm with transB, alpha and a beta-scaled bias whose
    700-deep reduction splits its 26 rows into several row blocks (the last
    one shorter than a register tile)."""
    h = op("Relu", [linear("x", 24, 37)])
    h = op("Relu", [linear(h, 37, 700)])
    shape = numpy_helper.from_array(np.array([26, 700], np.int64), name("shape"))
    inits.append(shape)
    h = op("Reshape", [h, shape.name])
    out = op("Gemm", [h, const(rng.normal(0, 700 ** -0.5, (50, 700))), const(rng.normal(0, 0.1, 50))],
             transB=1, alpha=0.5, beta=2.0)
    finish("dense_layers", [2, 13, 24], out, [26, 50], path)


def typed(array, dtype, prefix="q"):
    n = name(prefix)
    inits.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), n))
    return n


def int8_matmuls(path):
    """MatMulInteger in every signedness the dot-product kernels handle, on
    the activations quantized to uint8 and int8 (the pattern of dynamically
    quantized models): u8 x i8 with an activation zero point, i8 x u8 with
    per-column weight zero points, u8 x u8 without zero points, i8 x i8 with
    both, and a product too narrow for a panel. 37-deep reductions (a partial
    4-byte step), 13 rows (a partial row block), 70, 45, 33 and 64 columns
    (partial 32-column panels); and a ConvInteger. Outputs are the int32
    sums as float."""
    xu = op("QuantizeLinear", ["x", const(0.008), typed(131, np.uint8)])
    xs = op("QuantizeLinear", ["x", const(0.01), typed(-3, np.int8)])
    products = [
        (xu, rng.integers(-128, 128, (37, 70)), np.int8, typed(131, np.uint8), None),
        (xs, rng.integers(0, 256, (37, 45)), np.uint8, typed(-3, np.int8),
         typed(rng.integers(100, 156, 45), np.uint8)),
        (xu, rng.integers(0, 256, (37, 33)), np.uint8, None, None),
        (xs, rng.integers(-128, 128, (37, 64)), np.int8, typed(-3, np.int8), typed(5, np.int8)),
        (xu, rng.integers(0, 256, (37, 8)), np.uint8, typed(131, np.uint8), typed(7, np.uint8)),
    ]
    outs = []
    # A 1-D ConvInteger over the 13 rows as channels, padded (with the
    # activation's zero point); ONNX Runtime takes only a scalar weight zero
    # point.
    conv = op("ConvInteger", [xu, typed(rng.integers(0, 256, (8, 13, 3)), np.uint8, "w"),
                              typed(131, np.uint8), typed(128, np.uint8)],
              pads=[1, 1])
    outs.append((op("Cast", [conv], to=TensorProto.FLOAT), [2, 8, 37]))
    for a, w, dtype, za, zb in products:
        inputs = [a, typed(w, dtype, "w")]
        if za or zb:
            inputs += [za or "", zb or ""]
        product = op("MatMulInteger", inputs)
        outs.append((op("Cast", [product], to=TensorProto.FLOAT), [2, 13, w.shape[1]]))
    finish("int8_matmuls", [2, 13, 37], *outs[0], path, outs[1:])


def layer_norm(x, d):
    mean = op("ReduceMean", [x], axes=[-1])
    centered = op("Sub", [x, mean])
    var = op("ReduceMean", [op("Pow", [centered, const(2.0)])], axes=[-1])
    y = op("Div", [centered, op("Sqrt", [op("Add", [var, const(1e-5)])])])
    return op("Add", [op("Mul", [y, const(rng.uniform(0.8, 1.2, d))]), const(rng.normal(0, 0.1, d))])


def linear(x, din, dout):
    return op("Add", [op("MatMul", [x, const(rng.normal(0, din ** -0.5, (din, dout)))]),
                      const(rng.normal(0, 0.02, dout))])


def transformer(path, seq=32, d=64, heads=4, layers=2):
    x = "x"
    hd = d // heads
    split = const(np.array([1, seq, heads, hd]).astype(np.float32))  # placeholder, replaced below
    inits.pop()
    shape_heads = numpy_helper.from_array(np.array([1, seq, heads, hd], np.int64), name("shape"))
    shape_model = numpy_helper.from_array(np.array([1, seq, d], np.int64), name("shape"))
    inits.extend([shape_heads, shape_model])
    for _ in range(layers):
        h = layer_norm(x, d)
        q, k, v = (op("Transpose", [op("Reshape", [linear(h, d, d), shape_heads.name])], perm=[0, 2, 1, 3])
                   for _ in range(3))
        scores = op("Div", [op("MatMul", [q, op("Transpose", [k], perm=[0, 1, 3, 2])]), const(hd ** 0.5)])
        context = op("MatMul", [op("Softmax", [scores], axis=-1), v])
        merged = op("Reshape", [op("Transpose", [context], perm=[0, 2, 1, 3]), shape_model.name])
        x = op("Add", [x, linear(merged, d, d)])
        h = linear(layer_norm(x, d), d, 4 * d)
        gelu = op("Mul", [op("Mul", [h, const(0.5)]),
                          op("Add", [op("Erf", [op("Div", [h, const(2 ** 0.5)])]), const(1.0)])])
        x = op("Add", [x, linear(gelu, 4 * d, d)])
    finish("transformer_encoder", [1, seq, d], x, [1, seq, d], path)


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    resnet(os.path.join(out, "resnet_style.onnx"))
    mobilenet_v2(os.path.join(out, "mobilenet_v2_style.onnx"))
    transformer(os.path.join(out, "transformer_encoder.onnx"))
    conv_layouts(os.path.join(out, "conv_layouts.onnx"))
    dense_layers(os.path.join(out, "dense_layers.onnx"))
    int8_matmuls(os.path.join(out, "int8_matmuls.onnx"))
