"""The floating-point operations of a model's convolutions and matmuls.

Usage: python3 bench/conv_matmul_flops.py MODEL.onnx NAME=D0,D1,...

Counts two operations per multiply-add of every Conv (as a direct
convolution), ConvTranspose, MatMul and Gemm, with the shapes ONNX's shape
inference gives for the input shape; prints {"flops": N} as JSON.
"""
import json
import math
import sys

import onnx
from onnx import shape_inference


def main():
    model = onnx.load(sys.argv[1])
    name, dims = sys.argv[2].split("=")
    dims = [int(d) for d in dims.split(",")]
    for value in model.graph.input:
        if value.name == name:
            shape = value.type.tensor_type.shape
            for dim, size in zip(shape.dim, dims):
                dim.ClearField("dim_param")
                dim.dim_value = size
    model = shape_inference.infer_shapes(model)
    shapes = {}
    for value in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        shapes[value.name] = [d.dim_value for d in value.type.tensor_type.shape.dim]
    for tensor in model.graph.initializer:
        shapes[tensor.name] = list(tensor.dims)
    flops = 0
    for node in model.graph.node:
        out = shapes.get(node.output[0])
        if node.op_type == "Conv":
            weight = shapes[node.input[1]]  # (M, C/group, kernel...)
            flops += 2 * math.prod(out) * math.prod(weight[1:])
        elif node.op_type == "ConvTranspose":
            x, weight = shapes[node.input[0]], shapes[node.input[1]]  # (C, M/group, kernel...)
            flops += 2 * math.prod(x) * math.prod(weight[1:])
        elif node.op_type in ("MatMul", "Gemm"):
            a = shapes[node.input[0]]
            transposed = node.op_type == "Gemm" and any(
                attr.name == "transA" and attr.i for attr in node.attribute)
            depth = a[-2] if transposed else a[-1]
            flops += 2 * math.prod(out) * depth
    print(json.dumps({"flops": flops}))


if __name__ == "__main__":
    main()
