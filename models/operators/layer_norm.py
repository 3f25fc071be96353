"""Operator model layer_norm: LayerNorm over 32."""

from __future__ import annotations

from torch import nn

from backend.model_spec import SEQUENCE, operator

MODEL = operator("LayerNorm over 32", lambda: nn.LayerNorm(32), (SEQUENCE,))
