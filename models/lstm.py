"""lstm: a one-layer LSTM over a sequence, classifying from the last hidden state."""

from __future__ import annotations

import torch
from torch import nn

from backend.model_spec import ModelSpec, randn, seeded


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


MODEL = ModelSpec(
    "one-layer LSTM (16 features, 32 hidden) over 8 steps, linear classifier",
    seeded(LstmClassifier),
    randn((1, 8, 16)),
)
