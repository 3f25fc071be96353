"""Operator model avg_pool2d: AvgPool2d 2x2."""

from __future__ import annotations

from torch import nn

from backend.model_spec import IMAGE, operator

MODEL = operator("AvgPool2d 2x2", lambda: nn.AvgPool2d(2), (IMAGE,))
