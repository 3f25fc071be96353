"""Operator model median: median over the last dim."""

from __future__ import annotations

import torch

from backend.model_spec import SEQUENCE, fn, operator

# No target delegates it and ExecuTorch's CPU runtime has no kernel for
# it: the compile must fail, naming it (tests/compile_cli_test.py).
MODEL = operator("median over the last dim", fn(lambda x: torch.median(x, dim=-1).values), (SEQUENCE,))
