"""Operator model maximum: elementwise max."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("elementwise max", fn(torch.maximum), (IMAGE, IMAGE))
