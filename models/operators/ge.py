"""Operator model ge: x >= 0 (bool)."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("x >= 0 (bool)", fn(lambda x: torch.ge(x, 0.0)), (IMAGE,))
