"""Models the compiler knows by name, each with deterministic weights and inputs.

Single operators come from backend/operators.py under their own names.
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

from backend import operators

Inputs = tuple[torch.Tensor, ...]

SEED = 0

# Input seeds: the example inputs (export, bundled test cases, the examples),
# the samples quantization is calibrated on, and the samples the numerics
# check evaluates. Calibration and evaluation never share a sample, so the
# comparison with the float model is out of sample and sees clipping. With 4
# calibration samples, sum, mean, softmax and bmm saturated on the evaluation
# samples (6 to 7 steps RMS off the float model); 32 cover their range.
EXAMPLE_SEED = SEED + 1
CALIBRATION_SEEDS = tuple(SEED + 101 + i for i in range(32))
EVALUATION_SEEDS = (EXAMPLE_SEED, SEED + 201, SEED + 202)


class UnknownModelError(ValueError):
    """Raised for a model name that is not in MODELS."""


@dataclass(frozen=True)
class ModelSpec:
    """A model by name: a seeded eval-mode module factory and seeded inputs."""

    description: str
    build: Callable[[], nn.Module]
    sample_inputs: Callable[[int], Inputs]

    def example_inputs(self) -> Inputs:
        return self.sample_inputs(EXAMPLE_SEED)


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
    """The factory with torch seeded first and trained-like BatchNorm statistics, in eval mode."""

    def build() -> nn.Module:
        torch.manual_seed(SEED)
        module = factory()
        # Fresh BatchNorm statistics are 0/1; give them the spread trained ones
        # have, so folding BN into the convolutions is actually exercised.
        for m in module.modules():
            if (
                isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d)
                and m.running_mean is not None
                and m.running_var is not None
            ):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        return module.eval()

    return build


def _randn(*shapes: tuple[int, ...], positive: bool = False) -> Callable[[int], Inputs]:
    def make(seed: int) -> Inputs:
        generator = torch.Generator().manual_seed(seed)
        values = tuple(torch.randn(shape, generator=generator) for shape in shapes)
        return tuple(v.abs() + 0.1 for v in values) if positive else values

    return make


class DsCnn(nn.Module):
    """DS-CNN (small) keyword spotter as in MLPerf Tiny: 49x10 MFCC in, 12 keywords out."""

    def __init__(self, channels: int = 64, blocks: int = 4, keywords: int = 12) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv2d(1, channels, (10, 4), stride=2, padding=(5, 1)),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
        ]
        for _ in range(blocks):
            layers += [
                nn.Conv2d(channels, channels, 3, padding=1, groups=channels),
                nn.BatchNorm2d(channels),
                nn.ReLU(),
                nn.Conv2d(channels, channels, 1),
                nn.BatchNorm2d(channels),
                nn.ReLU(),
            ]
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Linear(channels, keywords)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.classifier(torch.flatten(self.features(x), 1))
        return logits


class ResidualBlock(nn.Module):
    def __init__(self, inputs: int, outputs: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(inputs, outputs, 3, stride=stride, padding=1),
            nn.BatchNorm2d(outputs),
            nn.ReLU(),
            nn.Conv2d(outputs, outputs, 3, padding=1),
            nn.BatchNorm2d(outputs),
        )
        self.shortcut: nn.Module = (
            nn.Identity() if stride == 1 and inputs == outputs else nn.Conv2d(inputs, outputs, 1, stride=stride)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class ResNet8(nn.Module):
    """ResNet-8 as in MLPerf Tiny image classification: CIFAR-10 32x32 in, 10 classes out."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.stages = nn.Sequential(ResidualBlock(16, 16, 1), ResidualBlock(16, 32, 2), ResidualBlock(32, 64, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.classifier(torch.flatten(self.pool(self.stages(self.stem(x))), 1))
        return logits


class LstmClassifier(nn.Module):
    """A one-layer LSTM over a sequence, classifying from the last hidden state."""

    def __init__(self, features: int = 16, hidden: int = 32, classes: int = 8) -> None:
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.classifier = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sequence, _ = self.lstm(x)
        logits: torch.Tensor = self.classifier(sequence[:, -1])
        return logits


def _transformer_block() -> nn.Module:
    # Post-norm encoder block (self-attention + MLP), as BERT-style models stack.
    return nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, dropout=0.0, batch_first=True)


def _vit_tiny() -> nn.Module:
    from torchvision.models.vision_transformer import VisionTransformer

    # DeiT-tiny's width (192), heads (3), MLP (768) and 16x16 patches, with 2
    # of its 12 layers on 64x64 images (16 patches + class token). ExecuTorch's
    # Arm passes cost about a minute per encoder layer: the full 12-layer
    # model took over 12 minutes per compile, 4 layers 6 minutes, too slow
    # for a suite that compiles it for five targets.
    module = VisionTransformer(image_size=64, patch_size=16, num_layers=2, num_heads=3, hidden_dim=192, mlp_dim=768)
    # torchvision zero-initialises the classifier (fine-tuning starts from
    # it); seeded random weights must reach the logits.
    nn.init.normal_(module.heads.head.weight, std=0.02)
    result: nn.Module = module
    return result


def _mobilenet_v3_small() -> nn.Module:
    from torchvision.models import mobilenet_v3_small

    module: nn.Module = mobilenet_v3_small(weights=None)
    return module


def _resnet18() -> nn.Module:
    from torchvision.models import resnet18

    module: nn.Module = resnet18(weights=None)
    return module


def _mobilenet_v2() -> nn.Module:
    from torchvision.models import mobilenet_v2

    # weights=None: never download. For ImageNet weights, fetch torchvision's
    # mobilenet_v2-*.pth yourself and pass it as the weights file.
    module: nn.Module = mobilenet_v2(weights=None)
    return module


MODELS: dict[str, ModelSpec] = {
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
    "mobilenet_v3_small": ModelSpec(
        "torchvision MobileNetV3-small on 1x3x224x224 (hardswish, squeeze-excite); seeded weights",
        _seeded(_mobilenet_v3_small),
        _randn((1, 3, 224, 224)),
    ),
    "resnet18": ModelSpec(
        "torchvision ResNet-18 on 1x3x224x224; seeded weights", _seeded(_resnet18), _randn((1, 3, 224, 224))
    ),
    "ds_cnn": ModelSpec(
        "DS-CNN keyword spotter (MLPerf Tiny KWS) on 1x1x49x10 MFCCs", _seeded(DsCnn), _randn((1, 1, 49, 10))
    ),
    "resnet8": ModelSpec(
        "ResNet-8 (MLPerf Tiny image classification) on 1x3x32x32", _seeded(ResNet8), _randn((1, 3, 32, 32))
    ),
    "lstm": ModelSpec(
        "one-layer LSTM (16 features, 32 hidden) over 8 steps, linear classifier",
        _seeded(LstmClassifier),
        _randn((1, 8, 16)),
    ),
    "transformer_block": ModelSpec(
        "transformer encoder block (d_model 64, 4 heads, MLP 128) on 1x16x64 tokens",
        _seeded(_transformer_block),
        _randn((1, 16, 64)),
    ),
    "vit_tiny": ModelSpec(
        "ViT with DeiT-tiny's width, heads and MLP (192, 3, 768), 2 layers, on 1x3x64x64; seeded weights",
        _seeded(_vit_tiny),
        _randn((1, 3, 64, 64)),
    ),
}

# Operators register under their own names (e.g. "add", "conv2d", "sdpa").
MODELS |= {
    name: ModelSpec(op.description, _seeded(op.build), _randn(*op.shapes, positive=op.positive))
    for name, op in operators.OPERATORS.items()
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
