#!/usr/bin/python3
"""Writes quantized models the way PyTorch exports them: QuantizeLinear /
DequantizeLinear pairs (QDQ) from fake quantization, the form quantization-
aware training leaves and ONNX Runtime runs as int8 kernels.

  make_quantized_models.py OUT_DIR [--resnet18]

qdq_cnn.onnx: three convolutions (3x3 with ReLU, 3x3 at stride 2 with ReLU,
1x1), a global average pool and a linear layer; activations uint8 per tensor
with ranges observed on seeded inputs (min/max), the logits in steps of 1/256,
weights int8 symmetric per output channel, float biases. Seeded weights;
nothing is downloaded.

float_cnn.onnx: the same network without fake quantization, and
calibration/ (8 seeded inputs, uniform in [-1, 1), as .npy files) for
`lathe quantize` and `lathe compile --quantize static`.

With --resnet18 also torchvision_resnet18_qdq.onnx (for bench/): Debian's
torchvision ResNet-18 with seeded weights, batch norms folded into the
convolutions, and every convolution's and the linear layer's input and
output fake-quantized the same way (uint8 per tensor, ranges observed on
seeded normal inputs; weights int8 per channel), exported at opset 13 with
a 1x3x224x224 input named x.
"""
import os
import sys

import numpy
import torch
import torch.nn as nn


def affine(lo, hi):
    """uint8 scale and zero point covering [lo, hi] (and 0)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = max(hi - lo, 1e-6) / 255.0
    return scale, int(round(-lo / scale))


class Observed(nn.Module):
    """Fake-quantizes its input per tensor with the range it observed while
    `observing` was set, or with a given scale and zero point."""

    def __init__(self, fixed=None):
        super().__init__()
        self.observing, self.lo, self.hi, self.fixed = fixed is None, 0.0, 0.0, fixed

    def forward(self, x):
        if self.observing:
            self.lo = min(self.lo, float(x.min()))
            self.hi = max(self.hi, float(x.max()))
            return x
        scale, zero = self.fixed or affine(self.lo, self.hi)
        return torch.fake_quantize_per_tensor_affine(x, scale, zero, 0, 255)


class PerChannel(nn.Module):
    """Fake-quantizes a weight int8 symmetric per output channel, as
    quantization-aware training leaves weights: the scales are buffers, so
    constants of the exported graph."""

    def __init__(self, weight):
        super().__init__()
        scale = (weight.detach().abs().amax(dim=tuple(range(1, weight.dim()))) / 127).clamp(min=1e-8)
        self.register_buffer("scale", scale)
        self.register_buffer("zero", torch.zeros(weight.shape[0], dtype=torch.int32))

    def forward(self, weight):
        return torch.fake_quantize_per_channel_affine(weight, self.scale, self.zero, 0, -128, 127)


class QdqCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.c3 = nn.Conv2d(32, 32, 1)
        self.fc = nn.Linear(32, 10)
        # The logits in steps of 1/256 (the test's error bound is one step).
        self.q = nn.ModuleList([Observed() for _ in range(5)] + [Observed((1 / 256, 128))])
        self.w = nn.ModuleDict({name: PerChannel(getattr(self, name).weight)
                                for name in ("c1", "c2", "c3", "fc")})

    def conv(self, name, x):
        conv = getattr(self, name)
        return nn.functional.conv2d(x, self.w[name](conv.weight), conv.bias, conv.stride,
                                    conv.padding)

    def forward(self, x):
        x = self.q[0](x)
        x = self.q[1](torch.relu(self.conv("c1", x)))
        x = self.q[2](torch.relu(self.conv("c2", x)))
        x = self.q[3](self.conv("c3", x))
        x = self.q[4](x.mean(dim=(2, 3)))
        return self.q[5](nn.functional.linear(x, self.w["fc"](self.fc.weight), self.fc.bias))


class FloatCnn(nn.Module):
    """QdqCnn's layers in float: what quantization starts from."""

    def __init__(self, qdq):
        super().__init__()
        self.c1, self.c2, self.c3, self.fc = qdq.c1, qdq.c2, qdq.c3, qdq.fc

    def forward(self, x):
        x = torch.relu(self.c1(x))
        x = torch.relu(self.c2(x))
        x = self.c3(x)
        return self.fc(x.mean(dim=(2, 3)))


def fold_batch_norms(module):
    """Each Conv2d followed by a BatchNorm2d (torchvision's conv/bn pairs)
    with the batch norm folded into its weight and bias."""
    children = list(module.named_children())
    for (name, child), (next_name, next_child) in zip(children, children[1:]):
        if isinstance(child, nn.Conv2d) and isinstance(next_child, nn.BatchNorm2d):
            scale = next_child.weight / torch.sqrt(next_child.running_var + next_child.eps)
            bias = child.bias if child.bias is not None else torch.zeros_like(scale)
            child.weight = nn.Parameter(child.weight * scale.reshape(-1, 1, 1, 1))
            child.bias = nn.Parameter((bias - next_child.running_mean) * scale + next_child.bias)
            setattr(module, next_name, nn.Identity())
    for _, child in children:
        fold_batch_norms(child)


class FakeQuantized(nn.Module):
    """A Conv2d or Linear with its input and output fake-quantized per
    tensor (observed) and its weight per channel."""

    def __init__(self, layer):
        super().__init__()
        self.layer, self.input, self.output = layer, Observed(), Observed()
        self.weight = PerChannel(layer.weight)

    def forward(self, x):
        x, w = self.input(x), self.weight(self.layer.weight)
        if isinstance(self.layer, nn.Conv2d):
            y = self.layer._conv_forward(x, w, self.layer.bias)
        else:
            y = nn.functional.linear(x, w, self.layer.bias)
        return self.output(y)


def fake_quantize_layers(module):
    """Every Conv2d and Linear below `module` wrapped in FakeQuantized;
    returns their observers."""
    observers = []
    for name, child in module.named_children():
        if isinstance(child, (nn.Conv2d, nn.Linear)):
            wrapped = FakeQuantized(child)
            setattr(module, name, wrapped)
            observers += [wrapped.input, wrapped.output]
        else:
            observers += fake_quantize_layers(child)
    return observers


def resnet18(out):
    import torchvision
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None).eval()
    with torch.no_grad():
        fold_batch_norms(model)
        observers = fake_quantize_layers(model)
        generator = torch.Generator().manual_seed(1)
        for _ in range(4):
            model(torch.randn(1, 3, 224, 224, generator=generator))
        for observer in observers:
            observer.observing = False
        path = os.path.join(out, "torchvision_resnet18_qdq.onnx")
        torch.onnx.export(model, torch.randn(1, 3, 224, 224), path, opset_version=13,
                          input_names=["x"], output_names=["logits"])
        print(path)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = QdqCnn().eval()
    with torch.no_grad():
        # Ranges observed on inputs like the test's (uniform in [-1, 1)).
        for _ in range(8):
            model(torch.rand(1, 3, 32, 32) * 2 - 1)
        for q in model.q:
            q.observing = False
        torch.onnx.export(model, torch.rand(1, 3, 32, 32), os.path.join(out, "qdq_cnn.onnx"),
                          opset_version=13, input_names=["x"], output_names=["y"])
        # The float original and samples to calibrate it on.
        for q in model.q:
            q.observing = True
        float_model = FloatCnn(model).eval()
        torch.onnx.export(float_model, torch.rand(1, 3, 32, 32), os.path.join(out, "float_cnn.onnx"),
                          opset_version=13, input_names=["x"], output_names=["y"])
        samples = os.path.join(out, "calibration")
        os.makedirs(samples, exist_ok=True)
        generator = torch.Generator().manual_seed(2)
        for i in range(8):
            sample = torch.rand(1, 3, 32, 32, generator=generator) * 2 - 1
            numpy.save(os.path.join(samples, f"sample_{i}.npy"), sample.numpy())
    if "--resnet18" in sys.argv[2:]:
        resnet18(out)


if __name__ == "__main__":
    main()
