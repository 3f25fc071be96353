"""Operator model rsqrt: 1/sqrt(x), x positive."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("1/sqrt(x), x positive", fn(torch.rsqrt), (IMAGE,), positive=True)
