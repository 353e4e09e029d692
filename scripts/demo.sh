#!/usr/bin/env bash
# The default job until code generation lands: import the three PP-OCR models
# (fetched by setup.sh) and show what each became in the lathe dialect.
set -euo pipefail
cd "$(dirname "$0")/.."
lathe=build/compiler/tools/lathe
for spec in ch_ppocr_mobile_v2.0_cls_infer.onnx:x=1,3,48,192 \
            ch_PP-OCRv4_det_infer.onnx:x=1,3,640,640 \
            ch_PP-OCRv4_rec_infer.onnx:x=1,3,48,320; do
  model=build/models/${spec%%:*}
  shape=${spec#*:}
  start=$(date +%s%N)
  ir=$("$lathe" import "$model" --input-shape "$shape" --elide-large-constants)
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  echo "== $(basename "$model") --input-shape $shape: imported in ${ms} ms"
  grep -m1 'func.func @main' <<<"$ir" | sed 's/^ *//'
  grep -o 'lathe\.[a-z_]*' <<<"$ir" | grep -v 'lathe\.name' | sort | uniq -c | sort -rn |
    awk '{printf "%s %s  ", $1, $2} END {print ""}'
done
