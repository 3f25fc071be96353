"""conv_net: a small image classifier, two Conv-BN-ReLU blocks, pooling, a linear head."""

from __future__ import annotations

import torch
from torch import nn

from backend.model_spec import ModelSpec, randn, seeded


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


MODEL = ModelSpec(
    "Conv-BN-ReLU x2, pooling, linear classifier on 1x3x32x32",
    seeded(ConvNet),
    randn((1, 3, 32, 32)),
)
