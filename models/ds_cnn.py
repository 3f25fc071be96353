"""ds_cnn: DS-CNN (small) keyword spotter as in MLPerf Tiny."""

from __future__ import annotations

import torch
from torch import nn

from backend.model_spec import ModelSpec, randn, seeded


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


MODEL = ModelSpec("DS-CNN keyword spotter (MLPerf Tiny KWS) on 1x1x49x10 MFCCs", seeded(DsCnn), randn((1, 1, 49, 10)))
