"""A small CNN for scikit-learn's 8x8 handwritten digits, in ExecuTorch's aot_arm_compiler
convention (ModelUnderTest, ModelInputs). Its trained weights come from train.py (the arm_model's
`weights`); ModelInputs is only the shape the program is exported with: the arm_model's `inputs`
replace it with a real training digit."""

from __future__ import annotations

import torch
from torch import nn

CLASSES = 10
IMAGE_SHAPE = (1, 1, 8, 8)  # batch 1: the program classifies one digit per inference


class DigitsNet(nn.Module):
    """Three 3x3 convolutions with ReLU and max pooling, then one linear layer: 8x8 -> 10 logits."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 4x4
            nn.Conv2d(32, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 2x2
        )
        self.classifier = nn.Linear(32 * 2 * 2, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.classifier(torch.flatten(self.features(x), 1))
        return logits


ModelUnderTest = DigitsNet().eval()
ModelInputs = (torch.zeros(IMAGE_SHAPE),)
