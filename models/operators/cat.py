"""Operator model cat: concat along channels."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("concat along channels", fn(lambda x, y: torch.cat([x, y], dim=1)), (IMAGE, IMAGE))
