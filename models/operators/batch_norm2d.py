"""Operator model batch_norm2d: BatchNorm2d alone (not folded)."""

from __future__ import annotations

from torch import nn

from backend.model_spec import IMAGE, operator

MODEL = operator("BatchNorm2d alone (not folded)", lambda: nn.BatchNorm2d(8), (IMAGE,))
