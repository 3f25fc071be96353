"""Operator model mean: mean over H, W (keepdim)."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("mean over H, W (keepdim)", fn(lambda x: torch.mean(x, dim=(2, 3), keepdim=True)), (IMAGE,))
