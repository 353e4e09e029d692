"""Writes a model whose output's name needs escaping in JSON (a quote, a
backslash, a newline), and an input for it."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

name = 'y "quoted" \\ and\nnewline'
graph = helper.make_graph(
    [helper.make_node("Relu", ["x"], [name])],
    "awkward_names",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
    [helper.make_tensor_value_info(name, TensorProto.FLOAT, [2, 3])],
)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), sys.argv[1])
np.save(sys.argv[2], np.arange(-3, 3, dtype=np.float32).reshape(2, 3))
