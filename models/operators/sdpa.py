"""Operator model sdpa: scaled dot-product attention, 2 heads over 16 tokens."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

from backend.model_spec import SEQUENCE, operator


class Attention(nn.Module):
    """Scaled dot-product attention over q, k, v projections (a transformer's core)."""

    def __init__(self, dim: int = 32, heads: int = 2) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, dim = x.shape
        q, k, v = self.qkv(x).reshape(batch, tokens, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        attended = functional.scaled_dot_product_attention(q, k, v)
        result: torch.Tensor = self.out(attended.transpose(1, 2).reshape(batch, tokens, dim))
        return result


MODEL = operator("scaled dot-product attention, 2 heads over 16 tokens", Attention, (SEQUENCE,))
