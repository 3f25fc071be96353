"""Operator model conv_transpose2d: ConvTranspose2d 8->8, 2x2 stride 2."""

from __future__ import annotations

from torch import nn

from backend.model_spec import operator

MODEL = operator("ConvTranspose2d 8->8, 2x2 stride 2", lambda: nn.ConvTranspose2d(8, 8, 2, stride=2), ((1, 8, 8, 8),))
