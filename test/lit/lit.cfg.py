# lit configuration for lathe's FileCheck tests.
import os
import shutil
import subprocess

import lit.formats

config.name = "lathe"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".onnxtext", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in", "Inputs"]
config.test_source_root = os.path.join(config.lathe_src_root, "test", "lit")
config.test_exec_root = config.lathe_obj_root

config.environment["PATH"] = os.pathsep.join(
    [config.lathe_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")]
)
config.substitutions.append(("%lathe-opt", os.path.join(config.lathe_tools_dir, "lathe-opt")))
config.substitutions.append(("%lathe-bench-runtime", os.path.join(config.lathe_runtime_tools_dir, "lathe-bench-runtime")))
config.substitutions.append(("%lathe-tamper", os.path.join(config.lathe_test_tools_dir, "lathe-tamper")))
config.substitutions.append(("%lathe", os.path.join(config.lathe_tools_dir, "lathe")))

# ONNX's own test models (libonnx-testdata), for tests on real binary files.
config.substitutions.append(("%onnx_node_data", "/usr/share/libonnx-testdata/data/node"))

# The PP-OCR models scripts/fetch_models.sh leaves in the build tree.
config.substitutions.append(("%models", os.path.join(config.lathe_build_root, "models")))

# Debian's python3 (with python3-numpy from setup.sh), for test inputs.
config.substitutions.append(("%python", "/usr/bin/python3"))

# The source tree, for checkers that live beside other tests (tests/ane).
config.substitutions.append(("%src_root", config.lathe_src_root))

# What a partial machine may lack: tests that need it say REQUIRES and are
# skipped there rather than failing.
if shutil.which("qemu-hexagon") or os.path.exists(os.environ.get("LATHE_QEMU_HEXAGON", "/nonexistent")):
    config.available_features.add("qemu-hexagon")
pp_ocr = os.path.join(config.lathe_build_root, "models")
if all(os.path.exists(os.path.join(pp_ocr, m)) for m in
       ["ch_ppocr_mobile_v2.0_cls_infer.onnx", "ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx"]):
    config.available_features.add("pp-ocr-models")
# The runtime cross-built for aarch64-linux-gnu, run under qemu-aarch64.
aarch64_runner = os.path.join(config.lathe_aarch64_runtime_dir, "tools", "lathe-run-runtime")
if config.lathe_aarch64_runtime_dir and shutil.which("qemu-aarch64") and os.path.exists(aarch64_runner):
    config.available_features.add("qemu-aarch64")
    config.substitutions.append(
        ("%aarch64-run-runtime", "qemu-aarch64 -L /usr/aarch64-linux-gnu " + aarch64_runner))
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")
if subprocess.run(["/usr/bin/python3", "-c", "import numpy"], capture_output=True).returncode == 0:
    config.available_features.add("numpy")
