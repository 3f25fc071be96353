"""Numerics check: the lowered program, with its NPU part on the TOSA reference model, against PyTorch.

The compile action evaluates the lowered program it has just built (see
backend/compile.py lowered_outputs): every delegated partition runs on the
TOSA reference model from the exact flatbuffer the backend compiled (for
Ethos-U the bytes handed to Vela), and everything left on the CPU (the
quantize/dequantize casts, fallback operators between partitions) runs as
ExecuTorch's edge operators in PyTorch. It writes those outputs to
`numerics/` in its intermediates next to

* PyTorch eager on the float model, and
* for quantized programs the quantized PyTorch model (same quantization,
  float arithmetic), which separates lowering errors from the quantization
  error the eager comparison has to allow for,

all on the evaluation samples (backend/model_spec.py EVALUATION_SEEDS), which
the quantization was not calibrated on.

This check compares them: quantized outputs against the quantized model
elementwise in output steps (lowering_check), against the float model by the
RMS error in output steps (quantization_check), float and bool outputs
elementwise (TOLERANCES).
Every bound is derived below, not measured. A program that delegates nothing
is "not applicable"; otherwise every evaluation must have run each delegated
partition once. It needs numpy only, so a suite of hundreds of programs stays
cheap; the expensive part is cached with the compile.

Usage:
  numerics --target=ethos-u55-128 --intermediates=DIR
Prints the max |error| and the tolerance per output; exit 0 on pass, 1 on fail.
"""

from __future__ import annotations

import json
import math
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
# A coverage entry's declared, explained exception (tests/coverage.bzl NUMERICS_EXCEPTIONS).
_LOWERING_MAX_STEPS = flags.DEFINE_float(
    "lowering_max_steps", None, "Largest accepted deviation from the quantized model in output steps."
)
_LOWERING_FRACTION = flags.DEFINE_float(
    "lowering_beyond_one_step_fraction", None, "Accepted fraction of elements more than one step off."
)
_QUANTIZATION_MARGIN = flags.DEFINE_float(
    "quantization_margin", None, "Factor on the RMS error bound against the float model."
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


# Per (output dtype, reference) for the elementwise comparisons: float
# programs against eager, comparisons (bool outputs), and other executors of
# the same TOSA graph (tests/vgf). "quantized" is the quantized PyTorch model
# (same quantization, float arithmetic), "eager" the float model.
TOLERANCES: dict[tuple[str, str], Tolerance] = {
    # Float TOSA vs eager: same math, different summation order and fused ops.
    ("float32", "eager"): Tolerance(atol=1e-4, rtol=1e-3, why="float32: reordered sums"),
    # Comparisons on the quantized values are exact against the quantized
    # model; against the float model, operands closer than a quantization
    # step may compare the other way.
    ("bool", "quantized"): Tolerance(atol=0.0, rtol=0.0, why="exact"),
    ("bool", "eager"): Tolerance(atol=0.0, rtol=0.0, why="operands within a step may flip", mismatch_fraction=0.02),
}

FLOAT32_SLACK = 4.0

# Lowering check: the lowered program against the quantized PyTorch model.
# Both quantize the same tensors with the same scales; they differ only in how
# each requantization rounds (TOSA RESCALE's 32-bit multiplier and shift vs
# float32 arithmetic), which moves a value sitting on a rounding boundary by
# one step. The output's own requantization gives at most 1 step; a flip in an
# earlier layer reaches the output scaled by that layer's gain, which rarely
# adds a second step and never a third without a real lowering error. A real
# error (a wrong zero point, scale, rounding mode, layout or border) moves a
# large share of the elements, which the fraction bound catches.
LOWERING_MAX_STEPS = 2
LOWERING_BEYOND_ONE_STEP_FRACTION = 0.01

# Quantization check: the lowered program against the float model, on the
# evaluation samples (out of sample: calibrated on other inputs). Rounding a
# value to a step of size q adds uniform noise of variance q^2/12. The model
# has N quantization points (every rounded activation and weight tensor; a
# calibrated range grows and shrinks with the signal through the layers, so
# each point's step is about one output step there), so independent rounding
# gives an RMS error of sqrt(N/12) output steps. QUANTIZATION_MARGIN covers
# what that leaves out: gains between layers, table-based nonlinearities, the
# occasional saturated element. A wrong quantization (a saturating scale, a
# lost zero point, per-tensor weights where channels differ) is off by many
# steps on many elements. 16A8W programs keep int8 weights, whose rounding
# dominates: their unit is the int8 step of the output's range (256 int16 steps).
QUANTIZATION_MARGIN = 3.0
INT16_OUTPUT_STEPS_PER_INT8_STEP = 256


def max_rms_steps(quantization_points: int, margin: float = QUANTIZATION_MARGIN) -> float:
    """The quantization check's bound, in output steps, for a model with that many quantization points."""
    return margin * math.sqrt(max(quantization_points, 1) / 12)


class NumericsError(Exception):
    """The check failed or could not run; the message says which and the numbers."""


def _float32_slack(actual64: Array, expected64: Array) -> Array:
    """FLOAT32_SLACK ulp of the larger magnitude, elementwise.

    Both sides are float32 (dequantized outputs are (q - zp) * scale in
    float32), so an error of exactly k steps can come out a few float32 ulp
    over k * scale.
    """
    slack: Array = FLOAT32_SLACK * np.finfo(np.float32).eps * np.maximum(np.abs(actual64), np.abs(expected64))
    return slack


def compare(name: str, actual: Array, expected: Array, tolerance: Tolerance, scale: float) -> tuple[bool, str]:
    """Elementwise check; the line names the max error, the worst element and the tolerance."""
    if actual.shape != expected.shape:
        return False, f"FAIL {name}: shape {actual.shape} vs expected {expected.shape}"
    actual64, expected64 = actual.astype(np.float64), expected.astype(np.float64)
    error = np.abs(actual64 - expected64)
    allowed = (
        tolerance.atol
        + tolerance.atol_lsb * scale
        + tolerance.rtol * np.abs(expected64)
        + _float32_slack(actual64, expected64)
    )
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


def _steps(actual: Array, expected: Array, scale: float) -> Array:
    """|actual - expected| in output steps, less FLOAT32_SLACK ulp of float32 rounding."""
    actual64, expected64 = actual.astype(np.float64), expected.astype(np.float64)
    slack = _float32_slack(actual64, expected64)
    steps: Array = np.maximum(np.abs(actual64 - expected64) - slack, 0.0) / scale
    return steps


def lowering_check(
    name: str, actual: Array, expected: Array, scale: float, max_steps: float, beyond_one_fraction: float
) -> tuple[bool, str]:
    """The lowered program against the quantized model: every element within max_steps, and at
    most beyond_one_fraction of them more than one step off."""
    if actual.shape != expected.shape:
        return False, f"FAIL {name}: shape {actual.shape} vs expected {expected.shape}"
    steps = _steps(actual, expected, scale)
    beyond_one = int(np.count_nonzero(steps > 1.0))
    worst = float(steps.max()) if steps.size else 0.0
    passed = worst <= max_steps and beyond_one <= beyond_one_fraction * steps.size
    line = (
        f"{'PASS' if passed else 'FAIL'} {name}: max {worst:.3g} steps (allowed {max_steps:g}),"
        f" {beyond_one}/{steps.size} beyond 1 step (allowed {beyond_one_fraction:.1%}); step = scale {scale:.6g}"
    )
    return passed, line


def sqnr_db(actual: Array, expected: Array) -> float:
    """10 log10(signal power / error power); inf when equal."""
    expected64 = expected.astype(np.float64)
    noise = float(np.sum((actual.astype(np.float64) - expected64) ** 2))
    signal = float(np.sum(expected64**2))
    if noise == 0.0:
        return math.inf
    return 10 * math.log10(signal / noise) if signal > 0.0 else -math.inf


def quantization_check(name: str, actual: Array, expected: Array, step: float, max_rms: float) -> tuple[bool, str]:
    """The lowered program against the float model: RMS error at most max_rms steps of size step."""
    if actual.shape != expected.shape:
        return False, f"FAIL {name}: shape {actual.shape} vs expected {expected.shape}"
    error = actual.astype(np.float64) - expected.astype(np.float64)
    rms = float(np.sqrt(np.mean(error**2))) / step if error.size else 0.0
    passed = rms <= max_rms
    return passed, (
        f"{'PASS' if passed else 'FAIL'} {name}: RMS error {rms:.3g} steps (allowed {max_rms:.3g}),"
        f" max {float(np.abs(error).max()) / step:.3g} steps, SQNR {sqnr_db(actual, expected):.1f} dB; step {step:.6g}"
    )


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


@dataclass(frozen=True)
class Bounds:
    """The bounds check() applies; an entry may declare other ones, with its reason."""

    lowering_max_steps: float = LOWERING_MAX_STEPS
    lowering_beyond_one_step_fraction: float = LOWERING_BEYOND_ONE_STEP_FRACTION
    quantization_margin: float = QUANTIZATION_MARGIN


def check(intermediates: pathlib.Path, target: str | None = None, bounds: Bounds = Bounds()) -> list[str]:
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

    partitions = int(description["delegated_partitions"])
    if partitions == 0:
        # PyTorch against PyTorch proves nothing; where the operators ran is
        # the placement check's (<entry>_budget) to assert.
        return ["not applicable: nothing delegated (the program runs on the CPU only)"]
    calls = description["delegate_calls_per_sample"]
    if any(count != partitions for count in calls):
        raise NumericsError(f"{partitions} delegated partition(s), but the evaluation ran {calls} delegate call(s)")
    lines = [
        f"TOSA reference model on {', '.join(graphs)}; {partitions} partition(s) evaluated on"
        f" {len(calls)} input(s): {description.get('evaluation') or 'out of sample, seeds'}"
        f" {description['evaluation_seeds']}"
    ]
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
            name = f"output {index} ({dtype}) vs {reference} PyTorch"
            if q and dtype != "bool" and reference == "quantized":
                passed, line = lowering_check(
                    name,
                    actual,
                    expected,
                    float(q["scale"]),
                    bounds.lowering_max_steps,
                    bounds.lowering_beyond_one_step_fraction,
                )
            elif q and dtype != "bool":
                points = int(description["quantization_points"])
                int8_steps = INT16_OUTPUT_STEPS_PER_INT8_STEP if dtype == "int16" else 1
                max_rms = max_rms_steps(points, bounds.quantization_margin)
                passed, line = quantization_check(name, actual, expected, float(q["scale"]) * int8_steps, max_rms)
                line += f" [{points} quantization points, margin {bounds.quantization_margin:g}]"
            else:
                tolerance = TOLERANCES.get((dtype, reference))
                if tolerance is None:
                    raise NumericsError(f"no tolerance declared for {dtype} outputs against {reference} PyTorch")
                passed, line = compare(name, actual, expected, tolerance, float(q["scale"]) if q else 0.0)
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
        defaults = Bounds()
        bounds = Bounds(
            lowering_max_steps=_LOWERING_MAX_STEPS.value or defaults.lowering_max_steps,
            lowering_beyond_one_step_fraction=_LOWERING_FRACTION.value or defaults.lowering_beyond_one_step_fraction,
            quantization_margin=_QUANTIZATION_MARGIN.value or defaults.quantization_margin,
        )
        if bounds != defaults:
            print(f"declared for this entry (tests/coverage.bzl): {bounds}")
        lines = check(pathlib.Path(intermediates), target, bounds)
    except NumericsError as error:
        print(str(error))
        sys.exit(1)
    print("\n".join(lines))


if __name__ == "__main__":
    # Marked here, not at definition: tests import this module with other flags.
    flags.mark_flags_as_required(["target", "intermediates"])  # type: ignore[no-untyped-call]
    app.run(main)
