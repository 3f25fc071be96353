"""Operator model slice: x[:, 2:6, ::2]."""

from __future__ import annotations

from backend.model_spec import IMAGE, fn, operator

MODEL = operator("x[:, 2:6, ::2]", fn(lambda x: x[:, 2:6, ::2] + 0), (IMAGE,))
