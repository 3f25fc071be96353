"""Small CPU-only models the runner tests export and run.

Each model is deterministic (weights from a fixed seed), so the generator that
exports it and the test that compares the runner with PyTorch eager build the
same module independently.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch


class Add(torch.nn.Module):
    """x + y on float32."""

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x + y


class Mlp(torch.nn.Module):
    """Linear(8, 16) -> ReLU -> Linear(16, 4) on float32."""

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.fc1 = torch.nn.Linear(8, 16)
        self.fc2 = torch.nn.Linear(16, 4)
        with torch.no_grad():
            for param in self.parameters():
                param.copy_(torch.rand(param.shape, generator=generator) - 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.fc2(torch.relu(self.fc1(x)))
        return out


class CompareIntBool(torch.nn.Module):
    """Float, int64, int32 and bool inputs; bool, int64 and int32 outputs."""

    def forward(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        n: torch.Tensor,
        m: torch.Tensor,
        b: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        greater = x > y
        return greater, n * 3 + 1, m * 2, torch.logical_and(greater, b)


class Int8Ops(torch.nn.Module):
    """int8 sum and comparison: int8 and bool outputs."""

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return a + b, a > b


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A model and how to make inputs for it."""

    name: str
    make_module: Callable[[], torch.nn.Module]
    make_inputs: Callable[[torch.Generator], tuple[torch.Tensor, ...]]


def _add_inputs(g: torch.Generator) -> tuple[torch.Tensor, ...]:
    return (torch.randn(2, 3, generator=g), torch.randn(2, 3, generator=g))


def _mlp_inputs(g: torch.Generator) -> tuple[torch.Tensor, ...]:
    return (torch.randn(4, 8, generator=g),)


def _compare_inputs(g: torch.Generator) -> tuple[torch.Tensor, ...]:
    return (
        torch.randn(3, 4, generator=g),
        torch.randn(3, 4, generator=g),
        torch.randint(-100, 100, (3, 4), generator=g, dtype=torch.int64),
        torch.randint(-100, 100, (3, 4), generator=g, dtype=torch.int32),
        torch.randint(0, 2, (3, 4), generator=g).to(torch.bool),
    )


def _int8_inputs(g: torch.Generator) -> tuple[torch.Tensor, ...]:
    # Small values: the int8 sum does not overflow.
    return (
        torch.randint(-8, 8, (2, 5), generator=g, dtype=torch.int8),
        torch.randint(-8, 8, (2, 5), generator=g, dtype=torch.int8),
    )


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("add", Add, _add_inputs),
        ModelSpec("mlp", Mlp, _mlp_inputs),
        ModelSpec("compare", CompareIntBool, _compare_inputs),
        ModelSpec("int8", Int8Ops, _int8_inputs),
    )
}


def example_inputs(name: str, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Deterministic inputs of model `name`."""
    return MODELS[name].make_inputs(torch.Generator().manual_seed(seed))


def eager_outputs(name: str, inputs: tuple[torch.Tensor, ...]) -> list[torch.Tensor]:
    """PyTorch eager outputs of model `name`, always as a list."""
    module = MODELS[name].make_module().eval()
    with torch.no_grad():
        out = module(*inputs)
    if isinstance(out, torch.Tensor):
        return [out]
    return list(out)
