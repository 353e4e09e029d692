#!/usr/bin/python3
"""Counts the HVX `vrmpy` instructions (8-bit dot products, 4 bytes per
32-bit lane) in the hexagon code of an artifact, and the hardware loops
(`:endloop0` bodies) that hold them, and checks that the code has at least
--per-layer of them for each quantized convolution that `--stats` of the
compile reported.

usage: count_hexagon_dot_products.py --tamper LATHE-TAMPER --objdump LLVM-OBJDUMP
                                     --artifact A.lathe --stats STATS.json --per-layer N"""
import argparse
import json
import subprocess
import sys
import tempfile

parser = argparse.ArgumentParser()
parser.add_argument("--tamper", required=True)
parser.add_argument("--objdump", required=True)
parser.add_argument("--artifact", required=True)
parser.add_argument("--stats", required=True)
parser.add_argument("--per-layer", type=int, required=True)
args = parser.parse_args()

with tempfile.TemporaryDirectory() as work:
    elf = work + "/hexagon.elf"
    subprocess.run([args.tamper, args.artifact, "-", "extract.hexagon=" + elf], check=True,
                   capture_output=True)
    listing = subprocess.run([args.objdump, "-d", "--mattr=+hvxv66,+hvx-length128b", elf],
                             check=True, capture_output=True, text=True).stdout
dot_products = loops_with = 0
body = []
for line in listing.splitlines():
    body.append(line)
    if "vrmpy" in line:
        dot_products += 1
    if "endloop0" in line:
        loops_with += any("vrmpy" in b for b in body)
        body = []
with open(args.stats) as f:
    layers = [l for l in json.load(f)["quantization"]["layers"] if l["op"] == "Conv"]
required = args.per_layer * len(layers)
print(f"{len(layers)} quantized convolutions; {dot_products} vrmpy instructions in "
      f"{loops_with} hardware loops; required {required} vrmpy")
sys.exit(0 if dot_products >= required and loops_with > 0 else 1)
