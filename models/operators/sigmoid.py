"""Operator model sigmoid: Sigmoid."""

from __future__ import annotations

from torch import nn

from backend.model_spec import IMAGE, operator

MODEL = operator("Sigmoid", nn.Sigmoid, (IMAGE,))
