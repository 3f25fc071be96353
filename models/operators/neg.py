"""Operator model neg: -x."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("-x", fn(torch.neg), (IMAGE,))
