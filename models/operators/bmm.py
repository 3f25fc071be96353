"""Operator model bmm: batched matmul."""

from __future__ import annotations

import torch

from backend.model_spec import fn, operator

MODEL = operator("batched matmul", fn(torch.bmm), ((2, 16, 8), (2, 8, 16)))
