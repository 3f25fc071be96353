"""Operator model view: reshape to 1x8x256."""

from __future__ import annotations

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("reshape to 1x8x256", fn(lambda x: x.reshape(1, 8, 256) + 0), (IMAGE,))
