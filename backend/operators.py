"""Single operators and small patterns, one model each, for per-operator coverage suites.

Each entry is a tiny module around one operator (or a pattern such as
conv-relu or attention), with seeded weights and inputs like the models in
backend/models.py, which registers them by name with an "op_" prefix.
Shapes are small, so a compile costs seconds and the TOSA reference model
runs in milliseconds; channel counts are multiples of 8 or 16 as NPUs like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Operator:
    """An operator module and its input shapes; `positive` inputs are |x| + 0.1 (for log, rsqrt, ...)."""

    description: str
    build: Callable[[], nn.Module]
    shapes: tuple[Shape, ...]
    positive: bool = False


class Lambda(nn.Module):
    """A module around a function of the inputs (no parameters)."""

    def __init__(self, function: Callable[..., torch.Tensor | tuple[torch.Tensor, ...]]) -> None:
        super().__init__()
        self.function = function

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        return self.function(*inputs)


def _fn(function: Callable[..., torch.Tensor | tuple[torch.Tensor, ...]]) -> Callable[[], nn.Module]:
    return lambda: Lambda(function)


class ConvRelu(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(8, 16, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv(x))


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


_IMAGE = (1, 8, 16, 16)
_SEQUENCE = (1, 16, 32)

OPERATORS: dict[str, Operator] = {
    # Elementwise arithmetic.
    "add": Operator("x + y", _fn(torch.add), (_IMAGE, _IMAGE)),
    "sub": Operator("x - y", _fn(torch.sub), (_IMAGE, _IMAGE)),
    "mul": Operator("x * y", _fn(torch.mul), (_IMAGE, _IMAGE)),
    "div": Operator("x / y, y positive", _fn(torch.div), (_IMAGE, _IMAGE), positive=True),
    "maximum": Operator("elementwise max", _fn(torch.maximum), (_IMAGE, _IMAGE)),
    "minimum": Operator("elementwise min", _fn(torch.minimum), (_IMAGE, _IMAGE)),
    "abs": Operator("|x|", _fn(torch.abs), (_IMAGE,)),
    "neg": Operator("-x", _fn(torch.neg), (_IMAGE,)),
    "exp": Operator("exp(x)", _fn(torch.exp), (_IMAGE,)),
    "log": Operator("log(x), x positive", _fn(torch.log), (_IMAGE,), positive=True),
    "rsqrt": Operator("1/sqrt(x), x positive", _fn(torch.rsqrt), (_IMAGE,), positive=True),
    "square": Operator("x * x (one input)", _fn(torch.square), (_IMAGE,)),
    "clamp": Operator("clamp(x, -0.5, 0.5)", _fn(lambda x: torch.clamp(x, -0.5, 0.5)), (_IMAGE,)),
    # Comparisons producing bool, and selecting with them.
    "gt": Operator("x > y (bool)", _fn(torch.gt), (_IMAGE, _IMAGE)),
    "lt": Operator("x < y (bool)", _fn(torch.lt), (_IMAGE, _IMAGE)),
    "ge": Operator("x >= 0 (bool)", _fn(lambda x: torch.ge(x, 0.0)), (_IMAGE,)),
    "eq": Operator("x == clamp(x) (bool)", _fn(lambda x: torch.eq(x, torch.clamp(x, -0.5, 0.5))), (_IMAGE,)),
    "where": Operator("where(x > y, x, y)", _fn(lambda x, y: torch.where(x > y, x, y)), (_IMAGE, _IMAGE)),
    # Convolutions and matrix products.
    "conv1d": Operator("Conv1d 16->16, k3", lambda: nn.Conv1d(16, 16, 3, padding=1), ((1, 16, 32),)),
    "conv2d": Operator("Conv2d 8->16, 3x3", lambda: nn.Conv2d(8, 16, 3, padding=1), (_IMAGE,)),
    "conv2d_relu": Operator("Conv2d 8->16 + ReLU (fused)", ConvRelu, (_IMAGE,)),
    "depthwise_conv2d": Operator(
        "depthwise Conv2d 16, 3x3", lambda: nn.Conv2d(16, 16, 3, padding=1, groups=16), ((1, 16, 16, 16),)
    ),
    "conv_transpose2d": Operator(
        "ConvTranspose2d 8->8, 2x2 stride 2", lambda: nn.ConvTranspose2d(8, 8, 2, stride=2), ((1, 8, 8, 8),)
    ),
    "linear": Operator("Linear 32->16", lambda: nn.Linear(32, 16), (_SEQUENCE,)),
    "bmm": Operator("batched matmul", _fn(torch.bmm), ((2, 16, 8), (2, 8, 16))),
    # Pooling and resampling.
    "max_pool2d": Operator("MaxPool2d 2x2", lambda: nn.MaxPool2d(2), (_IMAGE,)),
    "avg_pool2d": Operator("AvgPool2d 2x2", lambda: nn.AvgPool2d(2), (_IMAGE,)),
    "adaptive_avg_pool2d": Operator("global average pool", lambda: nn.AdaptiveAvgPool2d(1), (_IMAGE,)),
    "upsample_nearest2d": Operator(
        "nearest upsampling x2", _fn(lambda x: functional.interpolate(x, scale_factor=2.0, mode="nearest")), (_IMAGE,)
    ),
    # Softmax.
    "softmax": Operator("softmax over the last dim", _fn(lambda x: torch.softmax(x, dim=-1)), ((1, 4, 64),)),
    "log_softmax": Operator(
        "log_softmax over the last dim", _fn(lambda x: torch.log_softmax(x, dim=-1)), ((1, 4, 64),)
    ),
    # Normalisation.
    "layer_norm": Operator("LayerNorm over 32", lambda: nn.LayerNorm(32), (_SEQUENCE,)),
    "batch_norm2d": Operator("BatchNorm2d alone (not folded)", lambda: nn.BatchNorm2d(8), (_IMAGE,)),
    # Reductions.
    "mean": Operator("mean over H, W (keepdim)", _fn(lambda x: torch.mean(x, dim=(2, 3), keepdim=True)), (_IMAGE,)),
    "sum": Operator("sum over the last dim (keepdim)", _fn(lambda x: torch.sum(x, dim=-1, keepdim=True)), (_SEQUENCE,)),
    # Data movement.
    "cat": Operator("concat along channels", _fn(lambda x, y: torch.cat([x, y], dim=1)), (_IMAGE, _IMAGE)),
    "split": Operator("split channels in two (two outputs)", _fn(lambda x: tuple(torch.split(x, 4, dim=1))), (_IMAGE,)),
    "slice": Operator("x[:, 2:6, ::2]", _fn(lambda x: x[:, 2:6, ::2] + 0), (_IMAGE,)),
    "permute": Operator("NCHW -> NHWC permute", _fn(lambda x: x.permute(0, 2, 3, 1) + 0), (_IMAGE,)),
    "view": Operator("reshape to 1x8x256", _fn(lambda x: x.reshape(1, 8, 256) + 0), (_IMAGE,)),
    # Activations (sigmoid, tanh, gelu, ... become lookup tables in int8).
    "relu": Operator("ReLU", nn.ReLU, (_IMAGE,)),
    "leaky_relu": Operator("LeakyReLU 0.1", lambda: nn.LeakyReLU(0.1), (_IMAGE,)),
    "hardswish": Operator("Hardswish", nn.Hardswish, (_IMAGE,)),
    "sigmoid": Operator("Sigmoid", nn.Sigmoid, (_IMAGE,)),
    "tanh": Operator("Tanh", nn.Tanh, (_IMAGE,)),
    "gelu": Operator("GELU", nn.GELU, (_IMAGE,)),
    "silu": Operator("SiLU", nn.SiLU, (_IMAGE,)),
    # Attention: U55 has no native softmax over arbitrary axes, so it is decomposed.
    "sdpa": Operator("scaled dot-product attention, 2 heads over 16 tokens", Attention, (_SEQUENCE,)),
    # No target delegates it and ExecuTorch's CPU runtime has no kernel for
    # it: the compile must fail, naming it (tests/compile_cli_test.py).
    "median": Operator("median over the last dim", _fn(lambda x: torch.median(x, dim=-1).values), (_SEQUENCE,)),
}
