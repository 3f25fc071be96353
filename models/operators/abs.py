"""Operator model abs: |x|."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("|x|", fn(torch.abs), (IMAGE,))
