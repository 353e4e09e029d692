#!/usr/bin/python3
"""Renders seeded lines of printed text, the input a text recognizer is made
for, and writes each as PP-OCR rec's input tensor: a 1 x 3 x 48 x 320
float32 .npy normalized as PaddleOCR does, (x / 255 - 0.5) / 0.5.

Two words of 3 to 7 letters and digits per line; fonts, sizes, ink, paper
and offsets come from the seed (DejaVu fonts, Debian's fonts-dejavu-core),
so every machine renders the same lines.

With a WIDTH of 192 and --turn-every-other, the lines are PP-OCR cls's
input (1 x 3 x 48 x 192): every odd line is turned by 180 degrees, the
case the classifier exists to find.

usage: make_text_lines.py OUTPUT_DIR SEED COUNT [WIDTH] [--turn-every-other]"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

turn = "--turn-every-other" in sys.argv
args = [a for a in sys.argv[1:] if a != "--turn-every-other"]
output, seed, count = args[0], int(args[1]), int(args[2])
width = int(args[3]) if len(args) > 3 else 320
os.makedirs(output, exist_ok=True)
rng = np.random.default_rng(seed)
LETTERS = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
FONTS = ["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"]
for i in range(count):
    line = Image.new("RGB", (width, 48), tuple(int(v) for v in rng.integers(215, 256, 3)))
    draw = ImageDraw.Draw(line)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/" + FONTS[rng.integers(len(FONTS))],
                              int(rng.integers(22, 30)))
    words = " ".join("".join(rng.choice(LETTERS, int(rng.integers(3, 8)))) for _ in range(2))
    draw.text((int(rng.integers(2, 12)), int(rng.integers(4, 12))), words, font=font,
              fill=tuple(int(v) for v in rng.integers(0, 60, 3)))
    if turn and i % 2:
        line = line.rotate(180)
    x = (np.asarray(line, np.float32) / 255 - 0.5) / 0.5
    np.save(os.path.join(output, f"line_{i:03d}.npy"), x.transpose(2, 0, 1)[None].copy())
