"""What a built-in model is: a seeded module factory and seeded inputs (a ModelSpec), and the
helpers its file in models/ builds one with.

A model file (models/<name>.py, models/operators/<name>.py) sets
`MODEL = ModelSpec(...)`. Every factory seeds torch itself, so the compile
action, the numerics test and the runtime test rebuild exactly the same module
and inputs from the file alone. A user's model file may set one too: its
quantization is then calibrated and evaluated on seeded samples, out of sample.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

Inputs = tuple[torch.Tensor, ...]
Shape = tuple[int, ...]

SEED = 0

# Input seeds: the example inputs (export, bundled test cases, the examples),
# the samples quantization is calibrated on, and the samples the numerics
# check evaluates. Calibration and evaluation never share a sample, so the
# comparison with the float model is out of sample and sees clipping. With 4
# calibration samples, sum, mean, softmax and bmm saturated on the evaluation
# samples (6 to 7 steps RMS off the float model); 32 cover their range.
EXAMPLE_SEED = SEED + 1
CALIBRATION_SEEDS = tuple(SEED + 101 + i for i in range(32))
EVALUATION_SEEDS = (EXAMPLE_SEED, SEED + 201, SEED + 202)

# Operator models' input shapes: channel counts are multiples of 8 or 16 as NPUs like.
IMAGE = (1, 8, 16, 16)
SEQUENCE = (1, 16, 32)


@dataclass(frozen=True)
class ModelSpec:
    """A model: a seeded eval-mode module factory and seeded inputs."""

    description: str
    build: Callable[[], nn.Module]
    sample_inputs: Callable[[int], Inputs]

    def example_inputs(self) -> Inputs:
        return self.sample_inputs(EXAMPLE_SEED)


def seeded(factory: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
    """The factory with torch seeded first and trained-like BatchNorm statistics, in eval mode."""

    def build() -> nn.Module:
        torch.manual_seed(SEED)
        module = factory()
        # Fresh BatchNorm statistics are 0/1; give them the spread trained ones
        # have, so folding BN into the convolutions is actually exercised.
        for m in module.modules():
            if (
                isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d)
                and m.running_mean is not None
                and m.running_var is not None
            ):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        return module.eval()

    return build


def randn(*shapes: Shape, positive: bool = False) -> Callable[[int], Inputs]:
    """Seeded normal inputs of these shapes; `positive`: |x| + 0.1 (for log, rsqrt, ...)."""

    def make(seed: int) -> Inputs:
        generator = torch.Generator().manual_seed(seed)
        values = tuple(torch.randn(shape, generator=generator) for shape in shapes)
        return tuple(v.abs() + 0.1 for v in values) if positive else values

    return make


class Lambda(nn.Module):
    """A module around a function of the inputs (no parameters)."""

    def __init__(self, function: Callable[..., torch.Tensor | tuple[torch.Tensor, ...]]) -> None:
        super().__init__()
        self.function = function

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        return self.function(*inputs)


def fn(function: Callable[..., torch.Tensor | tuple[torch.Tensor, ...]]) -> Callable[[], nn.Module]:
    """A factory of a parameterless module computing function."""
    return lambda: Lambda(function)


def operator(
    description: str, build: Callable[[], nn.Module], shapes: tuple[Shape, ...], positive: bool = False
) -> ModelSpec:
    """A single operator (or small pattern) as a model: tiny shapes, so a compile costs seconds."""
    return ModelSpec(description, seeded(build), randn(*shapes, positive=positive))


def load_weights(module: nn.Module, weights: pathlib.Path) -> nn.Module:
    """module with a local state_dict file (torch.save of module.state_dict()) loaded, in eval mode.

    Nothing is ever fetched from the internet: pretrained weights must be
    downloaded beforehand by the user.
    """
    if not weights.is_file():
        raise FileNotFoundError(
            f"weights file {weights} not found; pretrained weights are not downloaded "
            "here, save a state_dict locally and pass its path"
        )
    state = torch.load(weights, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{weights} holds a {type(state).__name__}, not a state_dict")
    module.load_state_dict(state)
    return module.eval()
