"""transformer_block: a post-norm encoder block (self-attention + MLP), as BERT-style models stack."""

from __future__ import annotations

from torch import nn

from backend.model_spec import ModelSpec, randn, seeded


def _transformer_block() -> nn.Module:
    return nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, dropout=0.0, batch_first=True)


MODEL = ModelSpec(
    "transformer encoder block (d_model 64, 4 heads, MLP 128) on 1x16x64 tokens",
    seeded(_transformer_block),
    randn((1, 16, 64)),
)
