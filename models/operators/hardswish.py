"""Operator model hardswish: Hardswish."""

from __future__ import annotations

from torch import nn

from backend.model_spec import IMAGE, operator

MODEL = operator("Hardswish", nn.Hardswish, (IMAGE,))
