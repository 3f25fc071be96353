"""Operator model upsample_nearest2d: nearest upsampling x2."""

from __future__ import annotations

from torch.nn import functional

from backend.model_spec import IMAGE, fn, operator

MODEL = operator(
    "nearest upsampling x2", fn(lambda x: functional.interpolate(x, scale_factor=2.0, mode="nearest")), (IMAGE,)
)
