#!/usr/bin/env bash
# The default job: compile the PP-OCR text-direction classifier (fetched by
# setup.sh) for this machine's CPU, run it on a seeded input, print its
# output and timing.
set -euo pipefail
cd "$(dirname "$0")/.."
lathe=build/compiler/tools/lathe
model=build/models/ch_ppocr_mobile_v2.0_cls_infer.onnx
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== lathe compile $(basename "$model") --input-shape x=1,3,48,192"
"$lathe" compile "$model" --input-shape x=1,3,48,192 -o "$work/cls.lathe" --stats "$work/stats.json"
cat "$work/stats.json"
/usr/bin/python3 -c "
import numpy as np
np.save('$work/x.npy', np.random.default_rng(7).uniform(-1, 1, (1, 3, 48, 192)).astype(np.float32))"

echo "== lathe run"
"$lathe" run "$work/cls.lathe" --input "x=$work/x.npy" --output-dir "$work/out"
/usr/bin/python3 -c "
import json, numpy as np
names = json.load(open('$work/out/outputs.json'))
for i, name in names.items():
    y = np.load('$work/out/output_%s.npy' % i)
    print('%s %s: %s (class %d: %s)' % (name, y.shape, np.array2string(y, precision=5), y.argmax(), ['0 degrees', '180 degrees'][y.argmax()]))"

echo "== lathe bench"
"$lathe" bench "$work/cls.lathe" --input "x=$work/x.npy" --runs 100
