"""Operator model relu: ReLU."""

from __future__ import annotations

from torch import nn

from backend.model_spec import IMAGE, operator

MODEL = operator("ReLU", nn.ReLU, (IMAGE,))
