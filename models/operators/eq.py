"""Operator model eq: x == clamp(x) (bool)."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("x == clamp(x) (bool)", fn(lambda x: torch.eq(x, torch.clamp(x, -0.5, 0.5))), (IMAGE,))
