"""lathe: an ahead-of-time compiler for ONNX models on edge hardware.

    import lathe
    artifact = lathe.compile("model.onnx", target="cpu", input_shapes={"x": [1, 3, 224, 224]})
    artifact.save("model.lathe")
    session = lathe.load("model.lathe").session(threads=2)
    outputs = session.run({"x": image})          # {"y": ndarray, ...}

compile() takes what `lathe compile` takes, as keyword options, and raises
lathe.Error with the same one-line messages the driver prints.
"""
import json
import os
import shutil
import tempfile

import numpy as np

from . import _lathe
from ._lathe import Error

Error.__module__ = "lathe"

__all__ = ["compile", "load", "Artifact", "Model", "Session", "Error", "supported_onnx_ops"]

ARTIFACT_FORMAT = _lathe.ARTIFACT_FORMAT

_OPTIONS = (
    "host", "cpu", "hexagon_arch", "disable_passes", "no_fusion", "no_layout", "kv_cache",
    "entries", "calibration_method", "keep_float", "warn_below_sqnr",
)


def supported_onnx_ops():
    """The ONNX ops lathe imports (as `lathe ops` lists them)."""
    return list(_lathe.supported_onnx_ops())


def _shape_specs(input_shapes):
    specs = []
    for name, dims in (input_shapes or {}).items():
        specs.append("%s=%s" % (name, ",".join(str(d) for d in dims)))
    return specs


def _model_source(model):
    """(bytes, label, is_path) for a path, bytes or an onnx.ModelProto."""
    if isinstance(model, (str, os.PathLike)):
        return b"", os.fspath(model), True
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model), "<bytes>", False
    if hasattr(model, "SerializeToString"):
        name = getattr(getattr(model, "graph", None), "name", "") or "model"
        return model.SerializeToString(), "<onnx.ModelProto %s>" % name, False
    raise TypeError("compile() takes a path, bytes or an onnx.ModelProto, not %s"
                    % type(model).__name__)


class _CalibrationSamples:
    """Samples given as arrays, written where calibration reads them: one
    folder per sample with a .npy per input name."""

    def __init__(self, samples):
        self.directory = tempfile.mkdtemp(prefix="lathe-calibration-")
        for k, sample in enumerate(samples):
            folder = os.path.join(self.directory, "sample_%05d" % k)
            os.mkdir(folder)
            for name, array in sample.items():
                np.save(os.path.join(folder, name + ".npy"), np.asarray(array))

    def close(self):
        shutil.rmtree(self.directory, ignore_errors=True)


def compile(model, target="cpu", input_shapes=None, quantize=None, calibration=None, **options):
    """Compiles `model` (a path, bytes or an onnx.ModelProto) into an Artifact.

    target: "cpu", "hexagon" or "ane". input_shapes: {name: dims} for inputs
    the model leaves symbolic. quantize: None, "static" (with calibration:
    a directory as `lathe compile --calibration` reads, or a list of
    {input name: array} samples), "dynamic" or "weights-int8". options, as
    the driver's: host, cpu, hexagon_arch, disable_passes, no_fusion,
    no_layout, kv_cache, entries ({name: {input: dims}}, the first the
    default), calibration_method, keep_float, warn_below_sqnr.
    """
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise TypeError("compile() got unexpected options %s (it takes %s)"
                        % (", ".join(unknown), ", ".join(_OPTIONS)))
    data, label, is_path = _model_source(model)
    native = dict(options)
    if "entries" in native and native["entries"] is not None:
        native["entries"] = [(name, _shape_specs(shapes)) for name, shapes in native["entries"].items()]
    if isinstance(native.get("keep_float"), str):
        native["keep_float"] = [native["keep_float"]]
    samples = None
    if calibration is not None and not isinstance(calibration, (str, os.PathLike)):
        samples = _CalibrationSamples(calibration)
        calibration = samples.directory
    native["quantize"] = quantize
    native["calibration"] = os.fspath(calibration) if calibration is not None else None
    try:
        artifact, stats, warnings, notes = _lathe.compile(
            data, label, is_path, target, _shape_specs(input_shapes), native)
    finally:
        if samples:
            samples.close()
    return Artifact(artifact, json.loads(stats), list(warnings), list(notes))


class Artifact:
    """A compiled model: its bytes (what `lathe compile -o` writes), the
    compile's numbers (`stats`, as `--stats` writes them) and what it warned of."""

    def __init__(self, data, stats=None, warnings=(), notes=()):
        self.bytes = bytes(data)
        self.stats = stats
        self.warnings = list(warnings)
        self.notes = list(notes)

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.bytes)

    def load(self):
        return Model(_lathe.Model(self.bytes))


def load(source):
    """Loads an artifact from a path, bytes or an Artifact."""
    if isinstance(source, Artifact):
        return source.load()
    if isinstance(source, (bytes, bytearray, memoryview)):
        return Model(_lathe.Model(bytes(source)))
    with open(os.fspath(source), "rb") as f:
        data = f.read()
    try:
        return Model(_lathe.Model(data))
    except Error as error:
        raise Error("%s: %s" % (os.fspath(source), error)) from None


class Model:
    """A loaded artifact: its entries and signatures; sessions run it."""

    def __init__(self, native):
        self._native = native

    @property
    def entries(self):
        return list(self._native.entries)

    def inputs(self, entry=None):
        """[{"name", "shape", "dtype"}, ...] of an entry (default: the first)."""
        return list(self._native.inputs(entry))

    def outputs(self, entry=None):
        return list(self._native.outputs(entry))

    @property
    def arena_bytes(self):
        return self._native.arena_bytes

    def session(self, threads=None):
        """A session: the arena and caches of runs. threads: the cpu kernels'
        threads (default: LATHE_NUM_THREADS, else 1)."""
        if threads is not None and int(threads) < 1:
            raise ValueError("threads must be positive, got %r" % (threads,))
        return Session(_lathe.Session(self._native, int(threads or 0)))


class Session:
    """Runs a model, one run at a time (a run from another thread waits).
    Inputs must have the model's dtypes; C-contiguous ones are read where
    they lie, others are copied first. Outputs are written into fresh arrays
    where the target allows (the cpu), copied out of the session otherwise."""

    def __init__(self, native):
        self._native = native

    @property
    def threads(self):
        return self._native.threads

    @property
    def cache_position(self):
        return self._native.cache_position

    def reset(self):
        self._native.reset()

    def run(self, feeds, entry=None):
        """{input name: array} -> {output name: array}."""
        return dict(self._native.run(dict(feeds), entry))
