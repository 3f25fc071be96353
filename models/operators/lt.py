"""Operator model lt: x < y (bool)."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("x < y (bool)", fn(torch.lt), (IMAGE, IMAGE))
