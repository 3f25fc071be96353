"""A helper module the user's model imports: the model's own dependency (a py_library)."""

from __future__ import annotations

import torch
from torch import nn


class ConvBlock(nn.Module):
    """Conv + BatchNorm + ReLU, as a user's code base would define it once."""

    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(inputs, outputs, 3, padding=1)
        self.norm = nn.BatchNorm2d(outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.norm(self.conv(x)))
