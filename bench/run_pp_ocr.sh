#!/usr/bin/env bash
# The PP-OCR benchmark against ONNX Runtime at 1 and 2 threads, and lathe
# without its fusion and layout passes, latency and peak RSS (README tables).
set -euo pipefail
cd "$(dirname "$0")/.."
for threads in 1 2; do
  node bench/compare_ort.mjs --lathe build/compiler/tools/lathe \
    --bench-runtime build/runtime/tools/lathe-bench-runtime --ort build/ort \
    --runs "${RUNS:-30}" --threads "$threads" --unoptimized-too yes \
    build/models/ch_ppocr_mobile_v2.0_cls_infer.onnx:x=1,3,48,192 \
    build/models/ch_PP-OCRv4_rec_infer.onnx:x=1,3,48,320 \
    build/models/ch_PP-OCRv4_det_infer.onnx:x=1,3,640,640
done
