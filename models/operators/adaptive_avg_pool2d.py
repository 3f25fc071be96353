"""Operator model adaptive_avg_pool2d: global average pool."""

from __future__ import annotations

from torch import nn

from backend.model_spec import IMAGE, operator

MODEL = operator("global average pool", lambda: nn.AdaptiveAvgPool2d(1), (IMAGE,))
