"""Operator model log: log(x), x positive."""

from __future__ import annotations

import torch

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("log(x), x positive", fn(torch.log), (IMAGE,), positive=True)
