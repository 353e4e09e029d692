"""Writes the inputs of a test model, or checks its outputs against numpy.

usage: check_outputs.py write MODEL DIR | check MODEL DIR OUTDIR
"""
import sys
import numpy as np

mode, model, directory = sys.argv[1:4]
rng = np.random.default_rng(7)
if model == "int_elementwise":
    inputs = {"a": rng.integers(-128, 128, (4, 256), dtype=np.int8),
              "b": rng.integers(-128, 128, (4, 256), dtype=np.int8),
              "c": rng.integers(-40000, 40000, (4, 256), dtype=np.int32),
              "d": rng.integers(-40000, 40000, (4, 256), dtype=np.int32)}
    with np.errstate(over="ignore"):
        p = inputs["c"] * inputs["d"]
        expected = [inputs["a"] + inputs["b"], np.maximum(p, inputs["c"])]
else:
    inputs = {"x": rng.uniform(-2, 2, (2, 64)).astype(np.float32)}
    x = inputs["x"]
    expected = [np.maximum(x, 0) ** 2 + x]
if mode == "write":
    for name, value in inputs.items():
        np.save("%s/%s.npy" % (directory, name), value)
else:
    for i, want in enumerate(expected):
        got = np.load("%s/output_%d.npy" % (sys.argv[4], i))
        if got.dtype.kind == "f":
            ok = np.allclose(got, want, rtol=1e-5, atol=1e-6)
        else:
            ok = np.array_equal(got, want)
        print("output %d: %s" % (i, "ok" if ok else "MISMATCH max diff %s" % np.abs(got - want).max()))
