"""Operator model sum: sum over the last dim (keepdim)."""

from __future__ import annotations

import torch

from backend.model_spec import SEQUENCE, fn, operator

MODEL = operator("sum over the last dim (keepdim)", fn(lambda x: torch.sum(x, dim=-1, keepdim=True)), (SEQUENCE,))
