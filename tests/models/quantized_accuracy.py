#!/usr/bin/python3
"""How often a quantized PP-OCR model decides what its fp32 original decides,
both compiled by lathe and run by `lathe run` on every sample of a folder:

  rec  decoded strings (greedy CTC over --keys, PaddleOCR's alphabet plus a
       space): the share of the fp32 strings' characters that agree (1 - edit
       distance / length);
  det  the text map at PaddleOCR's threshold 0.3: the share of pixels that
       agree;
  cls  the class picked (0 or 180 degrees): the share of samples that agree.

Exits 1 when the agreement is below --min-agreement.

usage: quantized_accuracy.py rec|det|cls --lathe LATHE --fp32 A.lathe --int8 B.lathe
                             --samples DIR --min-agreement X [--keys ppocr_keys_v1.txt]"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("kind", choices=["rec", "det", "cls"])
parser.add_argument("--lathe", required=True)
parser.add_argument("--fp32", required=True)
parser.add_argument("--int8", required=True)
parser.add_argument("--samples", required=True)
parser.add_argument("--min-agreement", type=float, required=True)
parser.add_argument("--keys")
args = parser.parse_args()


def run(artifact, sample, work):
    subprocess.run([args.lathe, "run", artifact, "--input", "x=" + sample, "--output-dir", work],
                   check=True, capture_output=True)
    return np.load(os.path.join(work, "output_0.npy"))


def ctc_decode(probabilities, alphabet):
    text, previous = [], 0
    for index in probabilities.argmax(-1).reshape(-1):
        if index != previous and index != 0:
            text.append(alphabet[index - 1])
        previous = index
    return "".join(text)


def edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        diagonal, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (ca != cb))
    return row[-1]


samples = sorted(glob.glob(os.path.join(args.samples, "*.npy")))
if not samples:
    sys.exit(f"no .npy samples in {args.samples}")
alphabet = None
if args.kind == "rec":
    with open(args.keys, encoding="utf-8") as f:
        alphabet = [line.rstrip("\n") for line in f] + [" "]
agreeing = total = 0
worst = (2.0, "")
with tempfile.TemporaryDirectory() as work:
    for sample in samples:
        reference = run(args.fp32, sample, os.path.join(work, "fp32"))
        quantized = run(args.int8, sample, os.path.join(work, "int8"))
        if args.kind == "rec":
            a, b = ctc_decode(reference, alphabet), ctc_decode(quantized, alphabet)
            count, agree = max(len(a), 1), max(len(a), 1) - edit_distance(a, b)
        elif args.kind == "det":
            a, b = reference > 0.3, quantized > 0.3
            count, agree = a.size, int((a == b).sum())
        else:
            count, agree = 1, int(reference.argmax() == quantized.argmax())
        agreeing += agree
        total += count
        worst = min(worst, (agree / count, os.path.basename(sample)))
agreement = agreeing / total
what = {"rec": "characters", "det": "text-map pixels", "cls": "classes"}[args.kind]
print(f"{args.kind}: {len(samples)} samples, {agreement:.4f} of {what} agree with fp32 "
      f"(worst sample {worst[1]}: {worst[0]:.4f}); required {args.min_agreement}")
sys.exit(0 if agreement >= args.min_agreement else 1)
