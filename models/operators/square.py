"""Operator model square: x * x (one input)."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("x * x (one input)", fn(torch.square), (IMAGE,))
