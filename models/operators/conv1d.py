"""Operator model conv1d: Conv1d 16->16, k3."""

from __future__ import annotations

from torch import nn

from backend.model_spec import operator

MODEL = operator("Conv1d 16->16, k3", lambda: nn.Conv1d(16, 16, 3, padding=1), ((1, 16, 32),))
