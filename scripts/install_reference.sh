#!/usr/bin/env bash
# Installs ONNX Runtime for Node (npm onnxruntime-node, pinned) into build/ort:
# the reference the model tests compare with and the benchmark peer. lathe
# itself never links it. --ignore-scripts skips a post-install download that
# this network refuses; the CPU library ships inside the package.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=build/ort
version=1.30.0
installed=$(node -p "require('./$dest/node_modules/onnxruntime-node/package.json').version" 2>/dev/null || true)
[ "$installed" = "$version" ] && exit 0
mkdir -p "$dest"
[ -f "$dest/package.json" ] || echo '{"private": true}' > "$dest/package.json"
npm install --prefix "$dest" --ignore-scripts --no-audit --no-fund --silent "onnxruntime-node@$version"
echo "install_reference: onnxruntime-node $version in $dest"
