"""Operator model add: x + y."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("x + y", fn(torch.add), (IMAGE, IMAGE))
