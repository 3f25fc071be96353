"""Operator model div: x / y, y positive."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("x / y, y positive", fn(torch.div), (IMAGE, IMAGE), positive=True)
