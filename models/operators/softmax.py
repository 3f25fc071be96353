"""Operator model softmax: softmax over the last dim."""

from __future__ import annotations

import torch

from backend.model_spec import fn, operator

MODEL = operator("softmax over the last dim", fn(lambda x: torch.softmax(x, dim=-1)), ((1, 4, 64),))
