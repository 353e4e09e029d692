"""Exports the torchvision benchmark networks to ONNX with seeded random weights.

Usage: python3 bench/make_torchvision_models.py OUT_DIR

ResNet-18 and MobileNetV2 as Debian's python3-torchvision defines them
(nothing is downloaded), in eval mode, written by torch.onnx.export at opset
14 with a 1x3x224x224 input named x.
"""
import os
import sys

import torch
import torchvision


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, make in [("resnet18", torchvision.models.resnet18),
                       ("mobilenet_v2", torchvision.models.mobilenet_v2)]:
        torch.manual_seed(0)
        model = make(weights=None).eval()
        example = torch.randn(1, 3, 224, 224)
        path = os.path.join(out, f"torchvision_{name}.onnx")
        torch.onnx.export(model, example, path, opset_version=14, input_names=["x"],
                          output_names=["logits"])
        print(path)


if __name__ == "__main__":
    main()
