"""Operator model linear: Linear 32->16."""

from __future__ import annotations

from torch import nn

from backend.model_spec import SEQUENCE, operator

MODEL = operator("Linear 32->16", lambda: nn.Linear(32, 16), (SEQUENCE,))
