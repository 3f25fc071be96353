"""Operator model where: where(x > y, x, y)."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("where(x > y, x, y)", fn(lambda x, y: torch.where(x > y, x, y)), (IMAGE, IMAGE))
