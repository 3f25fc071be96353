"""Operator model log_softmax: log_softmax over the last dim."""

from __future__ import annotations

import torch

from backend.model_spec import fn, operator

MODEL = operator("log_softmax over the last dim", fn(lambda x: torch.log_softmax(x, dim=-1)), ((1, 4, 64),))
