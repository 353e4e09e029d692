#!/usr/bin/env bash
# The cpu benchmark against ONNX Runtime at 1 and 2 threads, and lathe
# without its fusion and layout passes, latency and peak RSS (README tables):
# the PP-OCR models (scripts/fetch_models.sh) and torchvision's ResNet-18 and
# MobileNetV2 with seeded random weights (bench/make_torchvision_models.py,
# Debian's python3-torchvision), and ResNet-18 quantized to int8 (QDQ,
# tests/models/make_quantized_models.py).
set -euo pipefail
cd "$(dirname "$0")/.."
models=build/models
if [ ! -f $models/torchvision_resnet18.onnx ] || [ ! -f $models/torchvision_mobilenet_v2.onnx ]; then
  /usr/bin/python3 bench/make_torchvision_models.py $models >/dev/null
fi
# ResNet-18 quantized as PyTorch exports fake quantization (QDQ), which
# ONNX Runtime runs with its int8 kernels.
if [ ! -f $models/torchvision_resnet18_qdq.onnx ]; then
  /usr/bin/python3 tests/models/make_quantized_models.py $models --resnet18 >/dev/null 2>&1
fi
# One core's fp32 FMA peak, measured on this machine.
peak_bin=$(mktemp)
trap 'rm -f "$peak_bin"' EXIT
clang-22 -O2 -march=native bench/fma_peak.c -o "$peak_bin"
peak=$("$peak_bin" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["fma_peak_gflops"])')
echo "fp32 FMA peak of one core: $peak GFLOP/s"
for threads in 1 2; do
  node bench/compare_ort.mjs --lathe build/compiler/tools/lathe \
    --bench-runtime build/runtime/tools/lathe-bench-runtime --ort build/ort \
    --runs "${RUNS:-30}" --threads "$threads" --unoptimized-too yes --peak-gflops "$peak" \
    $models/ch_ppocr_mobile_v2.0_cls_infer.onnx:x=1,3,48,192 \
    $models/ch_PP-OCRv4_rec_infer.onnx:x=1,3,48,320 \
    $models/ch_PP-OCRv4_det_infer.onnx:x=1,3,640,640 \
    $models/torchvision_resnet18.onnx:x=1,3,224,224 \
    $models/torchvision_mobilenet_v2.onnx:x=1,3,224,224 \
    $models/torchvision_resnet18_qdq.onnx:x=1,3,224,224
done
