"""Numerics check: the lowered program, with its NPU part on the TOSA reference model, against PyTorch.

The compile action evaluates the lowered program it has just built (see
backend/compile.py lowered_outputs): every delegated partition runs on the
TOSA reference model from the exact flatbuffer the backend compiled (for
Ethos-U the bytes handed to Vela), and everything left on the CPU (the
quantize/dequantize casts, fallback operators between partitions) runs as
ExecuTorch's edge operators in PyTorch. It writes those outputs to
`numerics/` in its intermediates next to

* PyTorch eager on the float model, on the same seeded example inputs, and
* for quantized programs the quantized PyTorch model (same quantization,
  float arithmetic), which separates lowering errors from the quantization
  error the eager comparison has to allow for.

This check compares them, each with the tolerance of the output's dtype in
TOLERANCES. It needs numpy only, so a suite of hundreds of programs stays
cheap; the expensive part is cached with the compile.

Usage:
  numerics --target=ethos-u55-128 --intermediates=DIR
Prints the max |error| and the tolerance per output; exit 0 on pass, 1 on fail.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from absl import app, flags

_TARGET = flags.DEFINE_string("target", None, "The target the program was compiled for.")
_INTERMEDIATES = flags.DEFINE_string("intermediates", None, "--intermediates directory of the compile.")
_QUANTIZED_STEPS = flags.DEFINE_float(
    "quantized_steps", None, "Accepted deviation from the quantized model in output steps (default: the table's)."
)
_EAGER_STEPS = flags.DEFINE_float(
    "eager_steps", None, "Accepted deviation from the float model in output steps (default: the table's)."
)

Array = npt.NDArray[Any]


@dataclass(frozen=True)
class Tolerance:
    """Passes when |actual - expected| <= atol + atol_lsb * output_scale + rtol * |expected|, elementwise.

    (plus FLOAT32_SLACK ulp for the float32 rounding of both sides; see compare),
    for all but a mismatch_fraction of the elements.
    """

    atol: float
    rtol: float
    atol_lsb: float = 0.0
    why: str = ""
    mismatch_fraction: float = 0.0


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
    # 16A8W keeps int8 weights: against the float model their rounding
    # dominates, up to a quarter of an int8 output step (64 int16 steps).
    ("int16", "eager"): Tolerance(atol=0.0, rtol=0.05, atol_lsb=64.0, why="int16 activations, int8 weights"),
    # Comparisons on the quantized values are exact against the quantized
    # model; against the float model, operands closer than a quantization
    # step may compare the other way.
    ("bool", "quantized"): Tolerance(atol=0.0, rtol=0.0, why="exact"),
    ("bool", "eager"): Tolerance(atol=0.0, rtol=0.0, why="operands within a step may flip", mismatch_fraction=0.02),
}

FLOAT32_SLACK = 4.0


class NumericsError(Exception):
    """The check failed or could not run; the message says which and the numbers."""


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
    mismatches = int(np.count_nonzero(error > allowed))
    passed = mismatches <= tolerance.mismatch_fraction * error.size
    line = (
        f"{'PASS' if passed else 'FAIL'} {name}: max |error| {float(error.max()):.6g},"
        f" {mismatches}/{error.size} outside (allowed {tolerance.mismatch_fraction:.0%})"
        f" (worst margin at flat index {worst}: error {float(error.flat[worst]):.6g},"
        f" allowed {float(np.ravel(allowed)[worst]):.6g});"
        f" tolerance atol {tolerance.atol} + {tolerance.atol_lsb} x scale {scale:.6g}"
        f" + rtol {tolerance.rtol} x |expected| + {FLOAT32_SLACK:g} float32 ulp ({tolerance.why})"
    )
    return passed, line


def _expected_tosa_profile(target: str) -> str:
    """A part of the TOSA spec string every partition for target must carry."""
    if target.startswith("ethos-u55"):
        return "+u55"
    if target.startswith("ethos-u85"):
        return "+cf"
    return target if target.startswith("TOSA-") else "TOSA-"


def _load(folder: pathlib.Path, name: str) -> Array:
    path = folder / name
    if not path.is_file():
        raise NumericsError(f"{path} is missing: was the program compiled with --intermediates?")
    array: Array = np.load(path, allow_pickle=False)
    return array


def check(
    intermediates: pathlib.Path,
    target: str | None = None,
    quantized_steps: float | None = None,
    eager_steps: float | None = None,
) -> list[str]:
    """Returns the report lines; raises NumericsError with them when any output fails."""
    graphs = sorted(p.name for p in intermediates.glob("output_tag*.tosa"))
    if target is not None:
        profile = _expected_tosa_profile(target)
        for graph in graphs:
            if profile not in graph:
                raise NumericsError(f"{graph} was not compiled for {target} (no {profile!r} in its TOSA spec)")
    folder = intermediates / "numerics"
    description = json.loads((folder / "numerics.json").read_text()) if (folder / "numerics.json").is_file() else None
    if description is None:
        raise NumericsError(f"{folder}/numerics.json is missing: was the program compiled with --intermediates?")

    lines = [f"TOSA reference model on {', '.join(graphs)}" if graphs else "no delegated partition: CPU only"]
    failed = False
    for index, entry in enumerate(description["outputs"]):
        actual = _load(folder, f"lowered_{index}.npy")
        q = entry["quantization"]
        for reference in ("eager", "quantized"):
            if reference not in entry["references"]:
                continue
            expected = _load(folder, f"{reference}_{index}.npy")
            # A float program's comparisons must match exactly: 0/1 as float32.
            quantized_program = "quantized" in entry["references"]
            dtype = "bool" if actual.dtype == np.bool_ and quantized_program else (q["dtype"] if q else "float32")
            scale = float(q["scale"]) if q else 0.0
            tolerance = TOLERANCES.get((dtype, reference))
            if tolerance is None:
                raise NumericsError(f"no tolerance declared for {dtype} outputs against {reference} PyTorch")
            # A coverage entry's declared, explained deviation (tests/coverage.bzl).
            steps = quantized_steps if reference == "quantized" else eager_steps
            if steps is not None and q:
                why = tolerance.why + ", widened for this entry"
                tolerance = dataclasses.replace(tolerance, atol_lsb=steps, why=why)
            passed, line = compare(
                f"output {index} ({dtype}) vs {reference} PyTorch", actual, expected, tolerance, scale
            )
            failed |= not passed
            lines.append(line)
    if failed:
        raise NumericsError("\n".join(lines))
    return lines


def main(argv: Sequence[str]) -> None:
    del argv
    # Required flags (marked below), so never None here.
    target, intermediates = str(_TARGET.value), str(_INTERMEDIATES.value)
    print(f"numerics of the program for {target} from {intermediates}")
    try:
        lines = check(pathlib.Path(intermediates), target, _QUANTIZED_STEPS.value, _EAGER_STEPS.value)
    except NumericsError as error:
        print(str(error))
        sys.exit(1)
    print("\n".join(lines))


if __name__ == "__main__":
    # Marked here, not at definition: tests import this module with other flags.
    flags.mark_flags_as_required(["target", "intermediates"])  # type: ignore[no-untyped-call]
    app.run(main)
