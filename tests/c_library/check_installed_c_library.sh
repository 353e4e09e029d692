#!/bin/sh
# Installs lathe from the build tree into a prefix, builds tests/c_library/app
# against it (lathe_add_model compiles PP-OCR cls into C libraries at build
# time), runs the programs and checks them, bit for bit, against `lathe run`
# of the same model; the C libraries' programs need no libLLVM or libMLIR.
#   check_installed_c_library.sh BUILD_DIR SOURCE_DIR MODEL WORK_DIR
set -eu
build=$1 source=$2 model=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" > "$work/install.log"
cmake -S "$source/tests/c_library/app" -B "$work/app" -G Ninja \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_PREFIX_PATH="$prefix" \
  -DLATHE_TEST_MODEL="$model" > "$work/configure.log"
cmake --build "$work/app" > "$work/build.log"

/usr/bin/python3 - "$work" <<'PY'
import sys
import numpy as np
x = np.random.default_rng(11).uniform(-1, 1, (1, 3, 48, 192)).astype(np.float32)
np.save(sys.argv[1] + "/x.npy", x)
x.tofile(sys.argv[1] + "/x.bin")
PY

"$prefix/bin/lathe" compile "$model" --input-shape x=1,3,48,192 -o "$work/cls.lathe"
"$prefix/bin/lathe" run "$work/cls.lathe" --input "x=$work/x.npy" --output-dir "$work/cli"
"$work/app/classify" "$work/x.bin" "$work/linked.bin"
"$work/app/classify_mapped" "$work/x.bin" "$work/mapped.bin"
"$work/app/run_artifact" "$work/cls.lathe" "$work/x.bin" "$work/runtime.bin"

# The same program through pkg-config.
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --exists lathe
clang-22 -o "$work/run_artifact_pc" "$source/tests/c_library/app/run_artifact.c" \
  $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs lathe) \
  -Wl,-rpath,"$prefix/lib"
"$work/run_artifact_pc" "$work/cls.lathe" "$work/x.bin" "$work/pkgconfig.bin"

/usr/bin/python3 - "$work" <<'PY'
import sys
import numpy as np
work = sys.argv[1]
expected = np.load(work + "/cli/output_0.npy")
assert expected.shape == (1, 2), expected.shape
for name in ("linked", "mapped", "runtime", "pkgconfig"):
    got = np.fromfile(work + "/%s.bin" % name, dtype=np.float32).reshape(expected.shape)
    assert got.tobytes() == expected.tobytes(), (name, got, expected)
    print("%s: equal to lathe run, bit for bit: %s" % (name, got.ravel()))
PY

# No LLVM, MLIR or lathe runtime in the C libraries' programs.
for program in classify classify_mapped; do
  if readelf -d "$work/app/$program" | grep -E 'NEEDED.*(LLVM|MLIR|lathe)'; then
    echo "$program needs a library it must not" >&2
    exit 1
  fi
done
# A tampered weights file is refused.
cp "$work/app/lathe_models/cls_mapped/cls_mapped.weights" "$work/good.weights"
printf '\001' | dd of="$work/app/lathe_models/cls_mapped/cls_mapped.weights" bs=1 seek=4096 \
  conv=notrunc 2>/dev/null
if "$work/app/classify_mapped" "$work/x.bin" "$work/tampered.bin" 2> "$work/tampered.log"; then
  echo "a tampered weights file was accepted" >&2
  exit 1
fi
grep -q "create: status 2" "$work/tampered.log"
cp "$work/good.weights" "$work/app/lathe_models/cls_mapped/cls_mapped.weights"
echo "installed C libraries: OK"
