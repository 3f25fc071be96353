"""Operator model depthwise_conv2d: depthwise Conv2d 16, 3x3."""

from __future__ import annotations

from torch import nn

from backend.model_spec import operator

MODEL = operator("depthwise Conv2d 16, 3x3", lambda: nn.Conv2d(16, 16, 3, padding=1, groups=16), ((1, 16, 16, 16),))
