"""Operator model exp: exp(x)."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("exp(x)", fn(torch.exp), (IMAGE,))
