"""A user's model in ExecuTorch's aot_arm_compiler convention (ModelUnderTest, ModelInputs),
importing its own helper module (a py_library).

It mixes convolution, batch norm, pooling, a sigmoid gate and linear layers;
its square (aten::pow) has no Ethos-U lowering and falls back to the CPU.
"""

from __future__ import annotations

import torch
from torch import nn

from tests.user_model.layers import ConvBlock


class GatedNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = ConvBlock(3, 16)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.gate = nn.Linear(16, 16)
        self.head = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = torch.flatten(self.pool(self.block(x)), 1)
        gated = features * torch.sigmoid(self.gate(features))
        logits: torch.Tensor = self.head(torch.square(gated))
        return logits


torch.manual_seed(7)
ModelUnderTest = GatedNet().eval()
ModelInputs = (torch.randn(1, 3, 16, 16, generator=torch.Generator().manual_seed(8)),)
