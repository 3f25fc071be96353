"""Operator model leaky_relu: LeakyReLU 0.1."""

from __future__ import annotations

from torch import nn

from backend.model_spec import IMAGE, operator

MODEL = operator("LeakyReLU 0.1", lambda: nn.LeakyReLU(0.1), (IMAGE,))
