"""The Python package against the driver: the same artifacts' results bit for
bit, the same one-line errors, and sessions that copy neither inputs nor
(on the cpu) outputs."""
import json
import os
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import lathe


def run_cli(cli, *args):
    return subprocess.run([cli, *args], capture_output=True, text=True)


def cli_outputs(cli, artifact, feeds, tmp_path):
    args = []
    for name, array in feeds.items():
        path = tmp_path / ("%s.npy" % name)
        np.save(path, array)
        args += ["--input", "%s=%s" % (name, path)]
    out = tmp_path / "cli_out"
    done = run_cli(cli, "run", str(artifact), *args, "--output-dir", str(out))
    assert done.returncode == 0, done.stderr
    names = json.loads((out / "outputs.json").read_text())
    return {name: np.load(out / ("output_%s.npy" % i)) for i, name in names.items()}


def relu_model(name="relu"):
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="the_relu")], name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 4])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_pp_ocr_cls_from_a_model_proto_runs_as_the_cli_does(cli, pp_ocr_cls, tmp_path):
    proto = onnx.load(pp_ocr_cls)
    artifact = lathe.compile(proto, target="cpu", input_shapes={"x": [1, 3, 48, 192]})
    artifact.save(tmp_path / "py.lathe")

    done = run_cli(cli, "compile", pp_ocr_cls, "--input-shape", "x=1,3,48,192",
                   "-o", str(tmp_path / "cli.lathe"), "--stats", str(tmp_path / "stats.json"))
    assert done.returncode == 0, done.stderr
    cli_stats = json.loads((tmp_path / "stats.json").read_text())
    for key in ("onnx_nodes", "kernels", "arena_bytes", "constant_bytes", "partitions",
                "ops_per_target", "conv_matmul_flops"):
        assert artifact.stats[key] == cli_stats[key], key

    x = np.random.default_rng(7).uniform(-1, 1, (1, 3, 48, 192)).astype(np.float32)
    session = lathe.load(tmp_path / "py.lathe").session()
    got = session.run({"x": x})
    expected = cli_outputs(cli, tmp_path / "cli.lathe", {"x": x}, tmp_path)
    assert got.keys() == expected.keys()
    for name in expected:
        assert got[name].dtype == expected[name].dtype
        np.testing.assert_array_equal(got[name], expected[name])
    # The classifier's two probabilities per image.
    (probabilities,) = got.values()
    assert probabilities.shape == (1, 2)
    np.testing.assert_allclose(probabilities.sum(), 1.0, rtol=1e-5)


def test_a_model_compiles_from_a_path_bytes_or_a_proto_alike(tmp_path):
    proto = relu_model()
    onnx.save(proto, tmp_path / "relu.onnx")
    shapes = {"x": [3, 4]}
    results = []
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    for source in (tmp_path / "relu.onnx", str(tmp_path / "relu.onnx"),
                   proto.SerializeToString(), proto):
        artifact = lathe.compile(source, input_shapes=shapes)
        results.append(lathe.load(artifact).session().run({"x": x})["y"])
    for y in results:
        np.testing.assert_array_equal(y, np.maximum(x, 0))


def test_artifact_saves_and_loads_back(tmp_path):
    artifact = lathe.compile(relu_model(), input_shapes={"x": [2, 4]})
    path = tmp_path / "relu.lathe"
    artifact.save(path)
    assert path.read_bytes() == artifact.bytes
    model = lathe.load(path)
    assert model.entries == ["main"]
    assert model.inputs() == [{"name": "x", "shape": (2, 4), "dtype": np.dtype("float32")}]
    assert model.outputs()[0]["name"] == "y"
    assert artifact.stats["ops_per_target"] == {"cpu": 1}
    assert model.arena_bytes == artifact.stats["arena_bytes"]


def test_errors_are_the_drivers_one_line_messages(cli, inputs_dir, tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Frobnicate", ["x"], ["t"], name="f1"),
         helper.make_node("Transmogrify", ["t"], ["y"], name="t1")], "unsupported",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, tmp_path / "unsupported.onnx")
    with pytest.raises(lathe.Error) as raised:
        lathe.compile(tmp_path / "unsupported.onnx")
    done = run_cli(cli, "compile", str(tmp_path / "unsupported.onnx"), "-o", str(tmp_path / "u.lathe"))
    assert done.returncode == 1
    cli_lines = [line[len("lathe: error: "):] for line in done.stderr.splitlines()]
    assert str(raised.value).splitlines() == cli_lines
    assert "Frobnicate" in str(raised.value) and "Transmogrify" in str(raised.value)

    with pytest.raises(lathe.Error, match=r"--input-shape 'x=2,a': 'a' is not a dim"):
        lathe.compile(relu_model(), input_shapes={"x": ["2", "a"]})
    with pytest.raises(lathe.Error, match=r"unknown target 'gpu'"):
        lathe.compile(relu_model(), target="gpu", input_shapes={"x": [2, 4]})
    with pytest.raises(lathe.Error, match=r"--calibration DIR is required"):
        lathe.compile(relu_model(), quantize="static", input_shapes={"x": [2, 4]})
    with pytest.raises(TypeError, match="frobnicate"):
        lathe.compile(relu_model(), frobnicate=True)
    with pytest.raises(lathe.Error, match="artifact format version 0; this runtime reads version"):
        lathe.load(b"LATHEART" + bytes(100))


def test_wrong_inputs_at_run_time_raise(tmp_path):
    session = lathe.load(lathe.compile(relu_model(), input_shapes={"x": [2, 4]})).session()
    with pytest.raises(lathe.Error, match=r"input 'x': shape \[3,4\] given, the model takes \[2,4\]"):
        session.run({"x": np.zeros((3, 4), np.float32)})
    with pytest.raises(lathe.Error, match=r"input 'x': dtype 11 given, the model takes dtype 1"):
        session.run({"x": np.zeros((2, 4), np.float64)})
    with pytest.raises(lathe.Error, match=r"input 'x' is not given"):
        session.run({})
    with pytest.raises(lathe.Error, match=r"'z' is not an input of the model"):
        session.run({"x": np.zeros((2, 4), np.float32), "z": np.zeros(1)})


def test_outputs_are_fresh_arrays_each_run_and_inputs_may_be_strided():
    session = lathe.load(lathe.compile(relu_model(), input_shapes={"x": [2, 4]})).session()
    wide = np.arange(-8, 8, dtype=np.float32).reshape(2, 8)
    strided = wide[:, ::2]  # not C-contiguous: copied before it is bound
    first = session.run({"x": strided})["y"]
    second = session.run({"x": -strided})["y"]
    np.testing.assert_array_equal(first, np.maximum(strided, 0))
    np.testing.assert_array_equal(second, np.maximum(-strided, 0))
    assert first.flags.owndata and first.flags.writeable
    assert not np.shares_memory(first, second)


def test_threads_compute_the_same_bits(pp_ocr_cls):
    model = lathe.compile(pp_ocr_cls, input_shapes={"x": [1, 3, 48, 192]}).load()
    x = np.random.default_rng(3).uniform(-1, 1, (1, 3, 48, 192)).astype(np.float32)
    one = model.session(threads=1)
    two = model.session(threads=2)
    assert two.threads == 2
    a, b = one.run({"x": x}), two.run({"x": x})
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    with pytest.raises(ValueError):
        model.session(threads=0)


def test_quantized_compiles(inputs_dir, tmp_path):
    dense = os.path.join(inputs_dir, "dense_layers.onnxtext")
    weights = lathe.compile(dense, quantize="weights-int8")
    assert weights.stats["ops_per_target"]
    rng = np.random.default_rng(5)
    model = lathe.compile(dense).load()
    (inp,) = model.inputs()
    samples = [{inp["name"]: rng.standard_normal(inp["shape"]).astype(np.float32)} for _ in range(4)]
    static = lathe.compile(dense, quantize="static", calibration=samples, warn_below_sqnr=0)
    assert static.stats["quantization"]["samples"] == 4
    x = samples[0][inp["name"]]
    fp32 = model.session().run({inp["name"]: x})
    int8 = static.load().session().run({inp["name"]: x})
    for name in fp32:
        error = np.abs(int8[name] - fp32[name]).max()
        assert error <= 0.1 * np.abs(fp32[name]).max() + 1e-6, error


def test_a_hexagon_output_is_copied_out_of_the_memory_the_dsp_shares():
    artifact = lathe.compile(relu_model(), target="hexagon", input_shapes={"x": [2, 4]})
    assert artifact.stats["ops_per_target"] == {"hexagon": 1}
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    y = lathe.load(artifact).session().run({"x": x})["y"]
    np.testing.assert_array_equal(y, np.maximum(x, 0))
