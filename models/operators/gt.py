"""Operator model gt: x > y (bool)."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("x > y (bool)", fn(torch.gt), (IMAGE, IMAGE))
