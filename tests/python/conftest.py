"""Where the tests find the driver (to compare with) and the models."""
import os

import pytest


@pytest.fixture(scope="session")
def cli():
    return os.environ["LATHE_CLI"]


@pytest.fixture(scope="session")
def pp_ocr_cls():
    path = os.path.join(os.environ["LATHE_MODELS"], "ch_ppocr_mobile_v2.0_cls_infer.onnx")
    if not os.path.exists(path):
        pytest.skip("PP-OCR models not fetched (scripts/fetch_models.sh)")
    return path


@pytest.fixture(scope="session")
def inputs_dir():
    return os.path.join(os.path.dirname(__file__), "..", "..", "test", "lit", "driver", "Inputs")
