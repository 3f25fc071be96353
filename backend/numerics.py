"""Numerics check: the lowered program, with its NPU part on the TOSA reference model, against PyTorch.

Each delegated partition runs on the TOSA reference model from the exact
flatbuffer of the compile (`output_tag<i>_*.tosa` in its intermediates: for
Ethos-U the bytes handed to Vela). Around it, this does what the lowered
program's CPU part does, with the parameters of the program's own
quantized_decomposed quantize/dequantize ops (recorded by the compiler from the
lowered graph in `delegate_io.json`): quantize the float inputs (float32
x * (1/scale), round half to even, + zero point, clamp), dequantize the outputs
((q - zero point) * scale). The result is compared with

* PyTorch eager on the float model, rebuilt here from the model's name and
  seed (or --weights), on the same seeded example inputs, and
* for quantized programs also the quantized PyTorch model (its outputs saved by
  the compiler as `reference_outputs.pt`), which separates lowering errors
  from the quantization error the eager comparison has to allow for,

each with the tolerance of the output's dtype in TOLERANCES.

Usage:
  numerics --model=add --target=ethos-u55-128 --intermediates=DIR [--weights=FILE]
Prints the max |error| and the tolerance per output; exit 0 on pass, 1 on fail.
"""

from __future__ import annotations

import json
import pathlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from absl import app, flags

from backend import models

_MODEL = flags.DEFINE_string("model", None, "Model name from backend/models.py.")
_TARGET = flags.DEFINE_string("target", None, "The target the program was compiled for.")
_INTERMEDIATES = flags.DEFINE_string("intermediates", None, "--intermediates directory of the compile.")
_WEIGHTS = flags.DEFINE_string("weights", None, "The state_dict the program was compiled with, if any.")

Array = npt.NDArray[Any]


@dataclass(frozen=True)
class Tolerance:
    """Passes when |actual - expected| <= atol + atol_lsb * output_scale + rtol * |expected|, elementwise.

    (plus FLOAT32_SLACK ulp for the float32 rounding of both sides; see compare).
    """

    atol: float
    rtol: float
    atol_lsb: float = 0.0
    why: str = ""


# Per (output dtype, reference). "quantized" is the quantized PyTorch model
# (same quantization, float arithmetic), "eager" the float model.
TOLERANCES: dict[tuple[str, str], Tolerance] = {
    # Float TOSA vs eager: same math, different summation order and fused ops.
    ("float32", "eager"): Tolerance(atol=1e-4, rtol=1e-3, why="float32: reordered sums"),
    # Integer TOSA (RESCALE with 32-bit multipliers, table-based softmax) vs
    # PyTorch's float fake quantization: at most one step of the output
    # scale, i.e. a rounding flip.
    ("int8", "quantized"): Tolerance(atol=0.0, rtol=0.0, atol_lsb=1.0, why="1 int8 step"),
    ("int16", "quantized"): Tolerance(atol=0.0, rtol=0.0, atol_lsb=1.0, why="1 int16 step"),
    # Vs the float model the inputs, weights and every intermediate are rounded
    # too: 3 output steps (input rounding passed through plus output rounding
    # and one flip) plus 5% of the value for error compounding through layers.
    ("int8", "eager"): Tolerance(atol=0.0, rtol=0.05, atol_lsb=3.0, why="int8 quantization noise"),
    ("int16", "eager"): Tolerance(atol=0.0, rtol=0.01, atol_lsb=16.0, why="int16 quantization noise"),
}

FLOAT32_SLACK = 4.0

_NUMPY_DTYPES: dict[str, type[np.integer[Any]]] = {"int8": np.int8, "int16": np.int16, "int32": np.int32}


class NumericsError(Exception):
    """The check failed or could not run; the message says which and the numbers."""


@dataclass(frozen=True)
class TosaTensor:
    name: str
    shape: tuple[int, ...]


def tosa_io(graph: bytes) -> tuple[list[TosaTensor], list[TosaTensor]]:
    """Names and shapes of the main block's inputs and outputs, read from the flatbuffer."""
    from tosa import TosaGraph

    block = TosaGraph.TosaGraph.GetRootAsTosaGraph(graph, 0).Regions(0).Blocks(0)
    shapes: dict[str, tuple[int, ...]] = {}
    for index in range(block.TensorsLength()):
        tensor = block.Tensors(index)
        shapes[tensor.Name().decode()] = tuple(int(d) for d in tensor.ShapeAsNumpy())
    inputs = [block.Inputs(i).decode() for i in range(block.InputsLength())]
    outputs = [block.Outputs(i).decode() for i in range(block.OutputsLength())]
    return [TosaTensor(n, shapes[n]) for n in inputs], [TosaTensor(n, shapes[n]) for n in outputs]


def quantize(values: Array, q: dict[str, Any]) -> Array:
    """As ExecuTorch's quantize_per_tensor.out kernel: float32 x * (1/scale), round half to even."""
    dtype = _NUMPY_DTYPES[q["dtype"]]
    info = np.iinfo(dtype)
    inverse_scale = np.float32(1.0) / np.float32(q["scale"])
    scaled = np.rint(values.astype(np.float32) * inverse_scale) + q["zero_point"]
    low, high = q.get("quant_min", info.min), q.get("quant_max", info.max)
    quantized: Array = np.clip(scaled, low, high).astype(dtype)
    return quantized


def dequantize(values: Array, q: dict[str, Any]) -> Array:
    """As ExecuTorch's dequantize_per_tensor.out kernel: (q - zero point) * scale in float32."""
    shifted = (values.astype(np.int32) - q["zero_point"]).astype(np.float32)
    dequantized: Array = (shifted * np.float32(q["scale"])).astype(np.float32)
    return dequantized


def _to_memory_order(array: Array, dim_order: Sequence[int] | None) -> Array:
    if dim_order is None or list(dim_order) == list(range(array.ndim)):
        return array
    return np.ascontiguousarray(np.transpose(array, dim_order))


def _from_memory_order(array: Array, dim_order: Sequence[int] | None) -> Array:
    if dim_order is None or list(dim_order) == list(range(array.ndim)):
        return array
    return np.transpose(array, np.argsort(dim_order))


def run_partition(graph: bytes, io: dict[str, Any], feeds: Sequence[Array]) -> list[Array]:
    """Runs one partition on the TOSA reference model as the program would: returns float outputs."""
    import tosa_reference_model

    tosa_inputs, tosa_outputs = tosa_io(graph)
    if len(tosa_inputs) != len(io["inputs"]) or len(tosa_outputs) != len(io["outputs"]):
        raise NumericsError(
            f"the TOSA graph has {len(tosa_inputs)} inputs/{len(tosa_outputs)} outputs, the delegate "
            f"{len(io['inputs'])}/{len(io['outputs'])}: wrong TOSA file for this program?"
        )
    arrays = []
    for array, entry, tensor in zip(feeds, io["inputs"], tosa_inputs, strict=True):
        q = entry["quantize"]
        value = _to_memory_order(quantize(array, q) if q else array.astype(np.float32), entry["dim_order"])
        if tuple(value.shape) != tensor.shape:
            raise NumericsError(f"input of shape {value.shape} does not fit TOSA tensor {tensor.name} {tensor.shape}")
        arrays.append(value)
    results, status = tosa_reference_model.run(graph, arrays)
    if status != tosa_reference_model.GraphStatus.TOSA_VALID:
        raise NumericsError(f"the TOSA reference model did not run the graph: {status}")
    outputs = []
    for result, entry in zip(results, io["outputs"], strict=True):
        q = entry["dequantize"]
        array = np.asarray(result)
        outputs.append(_from_memory_order(dequantize(array, q) if q else array.astype(np.float32), entry["dim_order"]))
    return outputs


def compare(name: str, actual: Array, expected: Array, tolerance: Tolerance, scale: float) -> tuple[bool, str]:
    """Elementwise check; the line names the max error, the worst element and the tolerance."""
    if actual.shape != expected.shape:
        return False, f"FAIL {name}: shape {actual.shape} vs expected {expected.shape}"
    actual64, expected64 = actual.astype(np.float64), expected.astype(np.float64)
    error = np.abs(actual64 - expected64)
    # Both sides are float32 (dequantized outputs are (q - zp) * scale in
    # float32), so an error of exactly k steps can come out a few float32 ulp
    # over k * scale; FLOAT32_SLACK ulp of the larger magnitude absorb that.
    ulp = np.finfo(np.float32).eps * np.maximum(np.abs(actual64), np.abs(expected64))
    allowed = tolerance.atol + tolerance.atol_lsb * scale + tolerance.rtol * np.abs(expected64) + FLOAT32_SLACK * ulp
    worst = int(np.argmax(error - allowed))
    passed = bool(np.all(error <= allowed))
    line = (
        f"{'PASS' if passed else 'FAIL'} {name}: max |error| {float(error.max()):.6g}"
        f" (worst margin at flat index {worst}: error {float(error.flat[worst]):.6g},"
        f" allowed {float(np.ravel(allowed)[worst]):.6g});"
        f" tolerance atol {tolerance.atol} + {tolerance.atol_lsb} x scale {scale:.6g}"
        f" + rtol {tolerance.rtol} x |expected| + {FLOAT32_SLACK:g} float32 ulp ({tolerance.why})"
    )
    return passed, line


def _as_list(outputs: Any) -> list[Any]:
    return list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]


def lowered_outputs(intermediates: pathlib.Path, inputs: Sequence[Array]) -> tuple[list[Array], list[dict[str, Any]]]:
    """The program's outputs with every partition on the TOSA reference model.

    Only programs whose CPU part is quantize/dequantize around the delegates
    are run; anything else is refused, not approximated.
    """
    partitions = json.loads((intermediates / "delegate_io.json").read_text())
    if not partitions:
        raise NumericsError("the program has no delegated partition: nothing runs on TOSA")
    outputs: dict[int, tuple[Array, dict[str, Any]]] = {}
    for index, io in enumerate(partitions):
        if not io["tosa"]:
            raise NumericsError(f"partition {index} has no TOSA flatbuffer in {intermediates}")
        feeds = []
        for entry in io["inputs"]:
            if entry["user_input"] is None:
                raise NumericsError(
                    f"partition {index} takes a tensor computed on the CPU; only quantize/dequantize "
                    "around delegates is supported"
                )
            feeds.append(inputs[entry["user_input"]])
        graph = (intermediates / io["tosa"]).read_bytes()
        for array, entry in zip(run_partition(graph, io, feeds), io["outputs"], strict=True):
            if entry["program_output"] is None:
                raise NumericsError(f"an output of partition {index} is processed further on the CPU; unsupported")
            outputs[entry["program_output"]] = (array, entry)
    if sorted(outputs) != list(range(len(outputs))):
        raise NumericsError(f"program outputs {sorted(outputs)} do not all come from delegates")
    return [outputs[i][0] for i in range(len(outputs))], [outputs[i][1] for i in range(len(outputs))]


def _expected_tosa_profile(target: str) -> str:
    """A part of the TOSA spec string every partition for target must carry."""
    if target.startswith("ethos-u55"):
        return "+u55"
    if target.startswith("ethos-u85"):
        return "+cf"
    return target if target.startswith("TOSA-") else "TOSA-"


def check(
    model_name: str, intermediates: pathlib.Path, weights: pathlib.Path | None, target: str | None = None
) -> list[str]:
    """Returns the report lines; raises NumericsError with them when any output fails."""
    import torch

    graphs = [p["tosa"] for p in json.loads((intermediates / "delegate_io.json").read_text())]
    if target is not None:
        profile = _expected_tosa_profile(target)
        for graph in graphs:
            if profile not in graph:
                raise NumericsError(f"{graph} was not compiled for {target} (no {profile!r} in its TOSA spec)")
    module, example_inputs = models.load_model(model_name, weights)
    with torch.no_grad():
        eager = [t.numpy() for t in _as_list(module(*example_inputs))]
    actual, entries = lowered_outputs(intermediates, [t.numpy() for t in example_inputs])
    if len(actual) != len(eager):
        raise NumericsError(f"the program has {len(actual)} outputs, the model {len(eager)}")
    quantized_path = intermediates / "reference_outputs.pt"
    quantized = [t.numpy() for t in torch.load(quantized_path, weights_only=True)] if quantized_path.exists() else []

    lines = [f"TOSA reference model on {', '.join(graphs)}"]
    failed = False
    for index, (output, entry) in enumerate(zip(actual, entries, strict=True)):
        q = entry["dequantize"]
        dtype = q["dtype"] if q else "float32"
        scale = float(q["scale"]) if q else 0.0
        references = [("eager", eager[index])]
        if q and quantized:
            references.append(("quantized", quantized[index]))
        for reference, expected in references:
            tolerance = TOLERANCES.get((dtype, reference))
            if tolerance is None:
                raise NumericsError(f"no tolerance declared for {dtype} outputs against {reference} PyTorch")
            passed, line = compare(
                f"output {index} ({dtype}) vs {reference} PyTorch", output, expected, tolerance, scale
            )
            failed |= not passed
            lines.append(line)
    if failed:
        raise NumericsError("\n".join(lines))
    return lines


def main(argv: Sequence[str]) -> None:
    del argv
    # Required flags (marked below), so never None here.
    model, target, intermediates = str(_MODEL.value), str(_TARGET.value), str(_INTERMEDIATES.value)
    weights = pathlib.Path(_WEIGHTS.value) if _WEIGHTS.value else None
    print(f"numerics of {model} for {target} from {intermediates}")
    try:
        lines = check(model, pathlib.Path(intermediates), weights, target)
    except (NumericsError, models.UnknownModelError, FileNotFoundError) as error:
        print(str(error))
        sys.exit(1)
    print("\n".join(lines))


if __name__ == "__main__":
    # Marked here, not at definition: tests import this module with other flags.
    flags.mark_flags_as_required(["model", "target", "intermediates"])  # type: ignore[no-untyped-call]
    app.run(main)
