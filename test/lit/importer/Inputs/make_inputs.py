#!/usr/bin/python3
"""Writes the binary models the importer's lit tests read (ONNX text syntax
cannot express node names or external data). Run it with Debian's python3-onnx
after changing it, and check in what it writes."""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))


def save(model, name):
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(here, name))


def graph_model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


# Node names become locations.
save(graph_model(
    [helper.make_node("Relu", ["x"], ["a"], name="first_relu"),
     helper.make_node("Neg", ["a"], ["y"])],
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])]), "named_nodes.onnx")


# A weight stored in an external file, at an offset.
def external(name, location, offset, length):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend([2, 3])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", str(offset)), ("length", str(length))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


weights = np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5
with open(os.path.join(here, "external_weights.bin"), "wb") as f:
    f.write(b"\0" * 16 + weights.tobytes())
for name, location, offset in (("external_data.onnx", "external_weights.bin", 16),
                               ("external_data_out_of_range.onnx", "external_weights.bin", 64),
                               ("external_data_escape.onnx", "../external_weights.bin", 16)):
    model = graph_model(
        [helper.make_node("Add", ["x", "w"], ["y"])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        [external("w", location, offset, 24)])
    onnx.save(model, os.path.join(here, name))  # the checker refuses the bad ones

# A large initializer (a resource blob aliasing the model) next to a small one.
big = numpy_helper.from_array(np.linspace(-1, 1, 512, dtype=np.float32).reshape(2, 256), "big")
save(graph_model(
    [helper.make_node("Mul", ["x", "big"], ["y"])],
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 256])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 256])], [big]), "large_initializer.onnx")
