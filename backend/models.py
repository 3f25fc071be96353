"""Models the compiler knows by name, each with deterministic weights and inputs.

Every factory seeds torch itself, so the compile action, the numerics test and
the runtime test rebuild exactly the same module and example inputs from the
model's name alone. Pretrained weights are never downloaded: pass a local
state_dict file instead (`load_model(name, weights=...)`).
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

Inputs = tuple[torch.Tensor, ...]

SEED = 0


class UnknownModelError(ValueError):
    """Raised for a model name that is not in MODELS."""


@dataclass(frozen=True)
class ModelSpec:
    """A model by name: a seeded eval-mode module factory and seeded example inputs."""

    description: str
    build: Callable[[], nn.Module]
    example_inputs: Callable[[], Inputs]


class Add(nn.Module):
    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x + y


class Mul(nn.Module):
    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x * y


class Softmax(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(x, dim=-1)


class ConvNet(nn.Module):
    """A small image classifier: two Conv-BN-ReLU blocks, pooling, a linear head."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(32, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.classifier(torch.flatten(self.features(x), 1))
        return logits


def _seeded(factory: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        torch.manual_seed(SEED)
        module = factory()
        # Fresh BatchNorm statistics are 0/1; give them the spread trained ones
        # have, so folding BN into the convolutions is actually exercised.
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d) and m.running_mean is not None and m.running_var is not None:
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        return module.eval()

    return build


def _randn(*shapes: tuple[int, ...]) -> Callable[[], Inputs]:
    def make() -> Inputs:
        generator = torch.Generator().manual_seed(SEED + 1)
        return tuple(torch.randn(shape, generator=generator) for shape in shapes)

    return make


def _mobilenet_v2() -> nn.Module:
    from torchvision.models import mobilenet_v2

    # weights=None: never download. For ImageNet weights, fetch torchvision's
    # mobilenet_v2-*.pth yourself and pass it as the weights file.
    module: nn.Module = mobilenet_v2(weights=None)
    return module


MODELS: dict[str, ModelSpec] = {
    "add": ModelSpec("x + y on two 1x8x16x16 tensors", _seeded(Add), _randn((1, 8, 16, 16), (1, 8, 16, 16))),
    "mul": ModelSpec("x * y on two 1x8x16x16 tensors", _seeded(Mul), _randn((1, 8, 16, 16), (1, 8, 16, 16))),
    "softmax": ModelSpec("softmax over the last dim of 1x4x64", _seeded(Softmax), _randn((1, 4, 64))),
    "conv_net": ModelSpec(
        "Conv-BN-ReLU x2, pooling, linear classifier on 1x3x32x32",
        _seeded(ConvNet),
        _randn((1, 3, 32, 32)),
    ),
    "mobilenet_v2": ModelSpec(
        "torchvision MobileNetV2 on 1x3x224x224; seeded random weights: offline, pretrained "
        "weights need a local state_dict file (--weights), nothing is downloaded",
        _seeded(_mobilenet_v2),
        _randn((1, 3, 224, 224)),
    ),
}


def spec(name: str) -> ModelSpec:
    """The registry entry; UnknownModelError lists the valid names."""
    if name not in MODELS:
        raise UnknownModelError(f"unknown model '{name}'; valid: {', '.join(sorted(MODELS))}")
    return MODELS[name]


def load_model(name: str, weights: pathlib.Path | None = None) -> tuple[nn.Module, Inputs]:
    """Returns the eval-mode module and its example inputs.

    weights, if given, is a local state_dict file (torch.save of
    module.state_dict()); nothing is ever fetched from the internet, so
    pretrained weights must be downloaded beforehand by the user.
    """
    model_spec = spec(name)
    module = model_spec.build()
    if weights is not None:
        if not weights.is_file():
            raise FileNotFoundError(
                f"weights file {weights} not found; pretrained weights are not downloaded "
                "here, save a state_dict locally and pass its path"
            )
        state = torch.load(weights, map_location="cpu", weights_only=True)
        if not isinstance(state, dict):
            raise ValueError(f"{weights} holds a {type(state).__name__}, not a state_dict")
        module.load_state_dict(state)
        module.eval()
    return module, model_spec.example_inputs()
