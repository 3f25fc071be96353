"""Operator model split: split channels in two (two outputs)."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("split channels in two (two outputs)", fn(lambda x: tuple(torch.split(x, 4, dim=1))), (IMAGE,))
