"""Operator model max_pool2d: MaxPool2d 2x2."""

from __future__ import annotations

from torch import nn

from backend.model_spec import IMAGE, operator

MODEL = operator("MaxPool2d 2x2", lambda: nn.MaxPool2d(2), (IMAGE,))
