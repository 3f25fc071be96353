"""Operator model conv2d_relu: Conv2d 8->16 + ReLU (fused)."""

from __future__ import annotations

import torch
from torch import nn

from backend.model_spec import IMAGE, operator


class ConvRelu(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(8, 16, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv(x))


MODEL = operator("Conv2d 8->16 + ReLU (fused)", ConvRelu, (IMAGE,))
