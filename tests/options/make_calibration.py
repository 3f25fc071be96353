"""Writes a calibration data file for a model: seeded input tuples at twice the example inputs' range.

Usage: make_calibration --model=conv_net --samples=8 --output=calibration.pt
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence

import torch
from absl import app, flags

from backend import models

_MODEL = flags.DEFINE_string("model", None, "Model name from backend/models.py.", required=True)
_SAMPLES = flags.DEFINE_integer("samples", 8, "Number of input tuples.", lower_bound=1)
_OUTPUT = flags.DEFINE_string("output", None, "The .pt file to write.", required=True)


def main(argv: Sequence[str]) -> None:
    del argv
    example = models.spec(_MODEL.value).example_inputs()
    generator = torch.Generator().manual_seed(1234)
    # Wider than the example inputs: the calibrated scales must differ from
    # the default compile's, which calibrates on the example inputs alone.
    samples = [[2.0 * torch.randn(t.shape, generator=generator) for t in example] for _ in range(_SAMPLES.value)]
    torch.save(samples, pathlib.Path(_OUTPUT.value))


if __name__ == "__main__":
    app.run(main)
