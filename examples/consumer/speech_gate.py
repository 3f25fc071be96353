"""A user's model in ExecuTorch's aot_arm_compiler convention: ModelUnderTest and ModelInputs.

A keyword-spotting-like head over 16 frames of 8 features: a 1-D convolution
with ReLU, a mean over time, a sigmoid gate and a linear classifier, all on
the NPU; its square (aten::pow) has no Ethos-U lowering and runs on the CPU.
"""

from __future__ import annotations

import torch
from torch import nn


class SpeechGate(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(8, 16, 3, padding=1)
        self.gate = nn.Linear(16, 16)
        self.classifier = nn.Linear(16, 4)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        features = torch.relu(self.conv(frames)).mean(dim=-1)
        gated = features * torch.sigmoid(self.gate(features))
        logits: torch.Tensor = self.classifier(torch.square(gated))
        return logits


torch.manual_seed(0)
ModelUnderTest = SpeechGate().eval()
ModelInputs = (torch.randn(1, 8, 16, generator=torch.Generator().manual_seed(1)),)
