"""Compiles models with `lathe compile --report`, loads each page in headless
Chromium and checks it: it renders with no console error, and its op,
partition, kernel and buffer counts agree with `--stats` and with each other.
A screenshot of each page is kept beside it.

    check_report_in_chromium.py LATHE CHROMIUM WORK_DIR PP_OCR_REC
"""
import json
import os
import re
import subprocess
import sys

from html.parser import HTMLParser

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

lathe, chromium, work, rec = sys.argv[1:5]
os.makedirs(work, exist_ok=True)


def fallback_model(path):
    """Convolutions the DSP runs around a Pow it leaves to the cpu: three
    partitions, two tensors crossing."""
    rng = np.random.default_rng(2)
    w1 = numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.standard_normal((8, 8, 3, 3)).astype(np.float32), "w2")
    two = numpy_helper.from_array(np.array(2.0, np.float32), "two")
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Pow", ["r1", "two"], ["p"], name="square"),
        helper.make_node("Conv", ["p", "w2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["y"], name="relu2"),
    ]
    graph = helper.make_graph(nodes, "fallback", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 16, 16])],
                              initializer=[w1, w2, two])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


class Page(HTMLParser):
    """The rendered page's counts: data attributes and elements by class."""

    def __init__(self):
        super().__init__()
        self.sections, self.body, self.classes = {}, {}, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body = attrs
        if tag == "section":
            self.sections[attrs.get("id")] = attrs
        for name in (attrs.get("class") or "").split():
            self.classes[name] = self.classes.get(name, 0) + 1


def check(name, model, args, expect_crossings, expect_buffers):
    html = os.path.join(work, name + ".html")
    stats_path = os.path.join(work, name + ".stats.json")
    subprocess.run([lathe, "compile", model, "-o", os.path.join(work, name + ".lathe"), "--report", html,
                    "--stats", stats_path] + args, check=True)
    stats = json.load(open(stats_path))
    chrome = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000"]
    done = subprocess.run(chrome + ["--dump-dom", "file://" + os.path.abspath(html)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, "console messages:\n" + "\n".join(console)
    page = Page()
    page.feed(done.stdout)
    assert page.body.get("data-rendered") == "yes", "the page did not finish rendering"
    assert page.body.get("data-errors") == "0", page.body

    graph = page.sections["graph"]
    ops = sum(stats["ops_per_target"].values())
    assert int(graph["data-ops"]) == ops == page.classes.get("op", 0), (graph, ops, page.classes)
    assert int(graph["data-partitions"]) == stats["partitions"], (graph, stats["partitions"])
    crossings = int(graph["data-crossings"])
    assert crossings == page.classes.get("crossing", 0) == int(page.sections["crossings"]["data-count"])
    assert (crossings > 0) == expect_crossings, crossings
    assert int(page.sections["kernels"]["data-kernels"]) == stats["kernels"], (page.sections["kernels"], stats["kernels"])
    buffers = int(page.sections["arena"]["data-buffers"])
    assert buffers == page.classes.get("buffer", 0), buffers
    assert (buffers > 0) == expect_buffers, buffers
    assert int(page.sections["warnings"]["data-count"]) == len(stats["warnings"])

    png = os.path.join(work, name + ".png")
    subprocess.run(chrome + ["--window-size=1400,2400", "--screenshot=" + png, "file://" + os.path.abspath(html)],
                   capture_output=True, check=True, timeout=300)
    assert os.path.getsize(png) > 10000, png
    targets = ", ".join("%s %d" % kv for kv in sorted(stats["ops_per_target"].items()))
    print("%s: %d ops (%s), %d partitions, %d crossing tensors, %d kernels, %d arena buffers; screenshot %s"
          % (name, ops, targets, stats["partitions"], crossings, stats["kernels"], buffers, png))


fallback = os.path.join(work, "fallback.onnx")
fallback_model(fallback)
check("pp-ocr-rec-cpu", rec, ["--input-shape", "x=1,3,48,320"], expect_crossings=False,
      expect_buffers=True)
check("fallback-hexagon", fallback, ["--target", "hexagon"], expect_crossings=True,
      expect_buffers=True)
