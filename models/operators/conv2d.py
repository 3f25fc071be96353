"""Operator model conv2d: Conv2d 8->16, 3x3."""

from __future__ import annotations

from torch import nn

from backend.model_spec import IMAGE, operator

MODEL = operator("Conv2d 8->16, 3x3", lambda: nn.Conv2d(8, 16, 3, padding=1), (IMAGE,))
