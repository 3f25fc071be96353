"""Operator model gelu: GELU."""

from __future__ import annotations

from torch import nn

from backend.model_spec import IMAGE, operator

MODEL = operator("GELU", nn.GELU, (IMAGE,))
