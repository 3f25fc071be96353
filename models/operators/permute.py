"""Operator model permute: NCHW -> NHWC permute."""

from __future__ import annotations

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("NCHW -> NHWC permute", fn(lambda x: x.permute(0, 2, 3, 1) + 0), (IMAGE,))
