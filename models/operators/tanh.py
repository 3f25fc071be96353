"""Operator model tanh: Tanh."""

from __future__ import annotations

from torch import nn

from backend.model_spec import IMAGE, operator

MODEL = operator("Tanh", nn.Tanh, (IMAGE,))
