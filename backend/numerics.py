"""Numerics check: the lowered program against PyTorch, with the NPU part on the TOSA reference model.

The delegated partition is executed by the TOSA reference model on the exact
flatbuffer that was handed to Vela (`output_tag<i>_*.tosa` in the compile's
intermediates). Its inputs are quantized and its outputs dequantized with the
parameters of the lowered program's own CPU quantize/dequantize ops
(`delegate_io.json`). The result is compared with

* PyTorch eager on the float model, rebuilt here from the model's name, and
* for quantized programs, the quantized PyTorch reference (what the compiler
  quantized; saved as `reference_outputs.pt`), which isolates lowering errors
  from quantization error,

each with the tolerance of the output's dtype in TOLERANCES.

Usage: numerics --model=add --target=ethos-u55-128 --intermediates=DIR
"""

from __future__ import annotations

import json
import pathlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from absl import app, flags

from backend import models

_MODEL = flags.DEFINE_string("model", None, "Model name from backend/models.py.")
_TARGET = flags.DEFINE_string("target", None, "The target the program was compiled for.")
_INTERMEDIATES = flags.DEFINE_string(
    "intermediates", None, "Intermediates directory of the compile."
)
_WEIGHTS = flags.DEFINE_string("weights", None, "The state_dict the program was compiled with.")


@dataclass(frozen=True)
class Tolerance:
    """|actual - expected| <= atol + atol_lsb * output_scale + rtol * |expected|."""

    atol: float
    rtol: float
    atol_lsb: float = 0.0
    why: str = ""


# Per output dtype and reference. int8 against the quantized reference allows
# one step of the output scale (rounding differences between TOSA RESCALE and
# PyTorch's fake quantization); against float eager, quantization noise adds up
# through the layers, so a few steps plus a fraction of the magnitude.
TOLERANCES: dict[tuple[str, str], Tolerance] = {
    ("float32", "eager"): Tolerance(atol=1e-4, rtol=1e-3, why="FP32 TOSA vs eager: reordered sums"),
    ("int8", "quantized"): Tolerance(atol=0.0, rtol=0.0, atol_lsb=1.0, why="one int8 step"),
    ("int8", "eager"): Tolerance(atol=0.0, rtol=0.05, atol_lsb=4.0, why="int8 quantization noise"),
    ("int16", "quantized"): Tolerance(atol=0.0, rtol=0.0, atol_lsb=1.0, why="one int16 step"),
    ("int16", "eager"): Tolerance(atol=0.0, rtol=0.01, atol_lsb=16.0, why="int16 quantization noise"),
}

_NUMPY_DTYPES = {"int8": np.int8, "int16": np.int16, "int32": np.int32}


class NumericsError(Exception):
    pass


@dataclass
class TosaTensor:
    name: str
    shape: tuple[int, ...]


def tosa_io(graph: bytes) -> tuple[list[TosaTensor], list[TosaTensor]]:
    """Names and shapes of the main block's inputs and outputs."""
    from tosa import TosaGraph  # noqa: PLC0415

    block = TosaGraph.TosaGraph.GetRootAsTosaGraph(graph, 0).Regions(0).Blocks(0)
    shapes = {}
    for index in range(block.TensorsLength()):
        tensor = block.Tensors(index)
        shapes[tensor.Name().decode()] = tuple(int(d) for d in tensor.ShapeAsNumpy())
    inputs = [block.Inputs(i).decode() for i in range(block.InputsLength())]
    outputs = [block.Outputs(i).decode() for i in range(block.OutputsLength())]
    return [TosaTensor(n, shapes[n]) for n in inputs], [TosaTensor(n, shapes[n]) for n in outputs]


def to_layout(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Returns array in the TOSA tensor's layout: as is, or NCHW→NHWC."""
    if array.shape == shape:
        return array
    if array.ndim == 4 and tuple(np.transpose(array, (0, 2, 3, 1)).shape) == shape:
        return np.ascontiguousarray(np.transpose(array, (0, 2, 3, 1)))
    raise NumericsError(f"input of shape {array.shape} does not fit TOSA tensor {shape}")


def from_layout(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Returns a TOSA output in the PyTorch output's shape (NHWC→NCHW when needed)."""
    if array.shape == shape:
        return array
    if array.ndim == 4 and tuple(np.transpose(array, (0, 3, 1, 2)).shape) == shape:
        return np.transpose(array, (0, 3, 1, 2))
    raise NumericsError(f"TOSA output of shape {array.shape} does not fit PyTorch's {shape}")


def quantize(values: np.ndarray, q: dict[str, Any]) -> np.ndarray:
    dtype = _NUMPY_DTYPES[q["dtype"]]
    info = np.iinfo(dtype)
    scaled = np.round(values / q["scale"]) + q["zero_point"]
    return np.clip(scaled, info.min, info.max).astype(dtype)


def dequantize(values: np.ndarray, q: dict[str, Any]) -> np.ndarray:
    return ((values.astype(np.float64) - q["zero_point"]) * q["scale"]).astype(np.float32)


def run_partition(graph: bytes, io: dict[str, Any], inputs: Sequence[np.ndarray],
                  output_shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    """Runs one delegated partition on the TOSA reference model, as the program would."""
    import tosa_reference_model  # noqa: PLC0415

    tosa_inputs, tosa_outputs = tosa_io(graph)
    if len(tosa_inputs) != len(inputs):
        raise NumericsError(f"the TOSA graph takes {len(tosa_inputs)} inputs, the model {len(inputs)}")
    feeds = []
    for array, q, tensor in zip(inputs, io["inputs"], tosa_inputs, strict=True):
        feeds.append(to_layout(quantize(array, q) if q else array.astype(np.float32), tensor.shape))
    results, status = tosa_reference_model.run(graph, feeds)
    if status != tosa_reference_model.GraphStatus.TOSA_VALID:
        raise NumericsError(f"the TOSA reference model rejected the graph: {status}")
    outputs = []
    for array, q, shape in zip(results, io["outputs"], output_shapes, strict=True):
        outputs.append(from_layout(dequantize(array, q) if q else np.asarray(array, np.float32), shape))
    del tosa_outputs
    return outputs


def compare(name: str, actual: np.ndarray, expected: np.ndarray, tolerance: Tolerance,
            scale: float) -> tuple[bool, str]:
    error = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    allowed = tolerance.atol + tolerance.atol_lsb * scale + tolerance.rtol * np.abs(expected)
    worst = int(np.argmax(error - allowed))
    passed = bool(np.all(error <= allowed))
    line = (
        f"{'PASS' if passed else 'FAIL'} {name}: max |error| {error.max():.6g} "
        f"(at {worst}: allowed {np.ravel(allowed)[worst]:.6g}; atol {tolerance.atol}, "
        f"{tolerance.atol_lsb} x scale {scale:.6g}, rtol {tolerance.rtol}: {tolerance.why})"
    )
    return passed, line


def check(model_name: str, intermediates: pathlib.Path, weights: pathlib.Path | None) -> list[str]:
    """Returns report lines; raises NumericsError listing them when any output fails."""
    import torch  # noqa: PLC0415

    partitions = json.loads((intermediates / "delegate_io.json").read_text())
    if len(partitions) != 1:
        raise NumericsError(
            f"the program has {len(partitions)} delegated partitions; this check runs programs "
            "with exactly one (its CPU part limited to quantize/dequantize)"
        )
    graphs = sorted(intermediates.glob("output_tag0_*.tosa"))
    if len(graphs) != 1:
        raise NumericsError(f"expected one output_tag0_*.tosa in {intermediates}, found {len(graphs)}")

    module, example_inputs = models.load_model(model_name, weights)
    with torch.no_grad():
        eager = module(*example_inputs)
    eager_outputs = [t.numpy() for t in (eager if isinstance(eager, (tuple, list)) else [eager])]
    quantized_reference = [
        t.numpy() for t in torch.load(intermediates / "reference_outputs.pt", weights_only=True)
    ]
    io = partitions[0]
    actual = run_partition(
        graphs[0].read_bytes(), io, [t.numpy() for t in example_inputs],
        [o.shape for o in eager_outputs],
    )

    lines = [f"TOSA graph: {graphs[0].name}"]
    failed = False
    for index, output in enumerate(actual):
        q = io["outputs"][index]
        dtype = q["dtype"] if q else "float32"
        scale = q["scale"] if q else 0.0
        references = [("eager", eager_outputs[index])]
        if q:
            references.append(("quantized", quantized_reference[index]))
        for reference, expected in references:
            if (dtype, reference) not in TOLERANCES:
                raise NumericsError(f"no tolerance declared for {dtype} outputs against {reference}")
            passed, line = compare(
                f"output {index} ({dtype}) vs {reference} PyTorch", output, expected,
                TOLERANCES[(dtype, reference)], scale,
            )
            failed |= not passed
            lines.append(line)
    if failed:
        raise NumericsError("\n".join(lines))
    return lines


def main(argv: Sequence[str]) -> None:
    del argv
    weights = pathlib.Path(_WEIGHTS.value) if _WEIGHTS.value else None
    print(f"numerics of {_MODEL.value} for {_TARGET.value}")
    try:
        lines = check(_MODEL.value, pathlib.Path(_INTERMEDIATES.value), weights)
    except NumericsError as error:
        print(str(error))
        sys.exit(1)
    print("\n".join(lines))


if __name__ == "__main__":
    flags.mark_flags_as_required(['model', 'target', 'intermediates'])
    app.run(main)
