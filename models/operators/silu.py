"""Operator model silu: SiLU."""

from __future__ import annotations

from torch import nn

from backend.model_spec import IMAGE, operator

MODEL = operator("SiLU", nn.SiLU, (IMAGE,))
