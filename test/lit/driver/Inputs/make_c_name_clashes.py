"""Writes a model whose tensor names clash in C: a keyword, the run
function's `model`, names equal but for case, one like a header constant,
one that would close a comment."""
import sys

from onnx import TensorProto, helper

inputs = ["int", "model"]
outputs = ["x", "X", "memory_bytes", "*/ y"]
nodes = [helper.make_node("Add", inputs, ["sum"], name="add")]
for k, name in enumerate(outputs):
    nodes.append(helper.make_node("Relu" if k % 2 else "Neg", ["sum"], [name], name="out%d" % k))
graph = helper.make_graph(
    nodes, "clashes",
    [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2]) for n in inputs],
    [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2]) for n in outputs])
open(sys.argv[1], "wb").write(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
