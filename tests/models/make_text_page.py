#!/usr/bin/python3
"""Renders a seeded page of printed text, the input a text detector is made
for, and writes it as the detector's input tensor: an N x 3 x H x W float32
.npy normalized with ImageNet's mean and std (what PaddleOCR's det
preprocessing does). Random noise makes a detector answer "no text" almost
everywhere, so its outputs say little about how faithfully a compiler ran it;
a page of words exercises the sharp text/background edges it exists for.

The words, sizes, fonts, ink and paper shades and positions all come from
the seed, so every machine renders the same page (DejaVu fonts, Debian's
fonts-dejavu-core).

With COUNT, OUTPUT is a folder and gets COUNT pages, page_<seed>.npy for
the seeds SEED, SEED + 1, ... (one page per sample, as `lathe quantize
--calibration` reads them).

usage: make_text_page.py OUTPUT.npy SEED HEIGHT WIDTH
       make_text_page.py OUTPUT_DIR SEED HEIGHT WIDTH COUNT"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONTS = ["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"]
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

def render(seed, height, width):
    rng = np.random.default_rng(seed)

    paper = int(rng.integers(215, 256))
    page = Image.new("RGB", (width, height), (paper, paper - int(rng.integers(0, 12)), paper - int(rng.integers(0, 20))))
    draw = ImageDraw.Draw(page)
    y = int(rng.integers(8, 30))
    while y < height - 20:
        size = int(rng.integers(14, 40))
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/" + FONTS[rng.integers(len(FONTS))], size)
        x = int(rng.integers(5, 60))
        ink = tuple(int(v) for v in rng.integers(0, 90, size=3))
        while x < width - 40:
            word = "".join(LETTERS[i] for i in rng.integers(len(LETTERS), size=int(rng.integers(2, 10))))
            draw.text((x, y), word, font=font, fill=ink)
            x += int(draw.textlength(word + " ", font=font)) + int(rng.integers(0, 3 * size))
        y += int(size * rng.uniform(1.3, 2.6))

    pixels = np.asarray(page, dtype=np.float32) / 255.0
    mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
    std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
    tensor = ((pixels - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)
    return np.ascontiguousarray(tensor)


output, seed, height, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if len(sys.argv) > 5:
    os.makedirs(output, exist_ok=True)
    for s in range(seed, seed + int(sys.argv[5])):
        np.save(os.path.join(output, f"page_{s}.npy"), render(s, height, width))
else:
    np.save(output, render(seed, height, width))
