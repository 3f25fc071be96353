"""Operator model clamp: clamp(x, -0.5, 0.5)."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("clamp(x, -0.5, 0.5)", fn(lambda x: torch.clamp(x, -0.5, 0.5)), (IMAGE,))
