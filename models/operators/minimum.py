"""Operator model minimum: elementwise min."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("elementwise min", fn(torch.minimum), (IMAGE, IMAGE))
