"""Budget check: where a compiled program's operators run, and Vela's estimates, against declared limits.

Usage:
  budget --report=report.json [--cpu_operators=op,op] \
      [--npu_cycles=N] [--sram_bytes=N] [--flash_bytes=N] [--band=0.02]

--cpu_operators lists the operators expected to stay on the CPU (CPU
fallback) besides the quantize/dequantize casts at the delegate boundaries;
an empty value means fully delegated. Any difference fails, naming the
operators, so both a new fallback and a newly delegated operator show up.

--npu_cycles, --sram_bytes and --flash_bytes are the recorded Vela estimates
(total cycles, memory stalls included; SRAM; everything outside SRAM, with the
constants counted where they live: backend/memory_areas.py). Vela's
estimates are deterministic, so they are a ratchet, not a ceiling: a
regression beyond --band fails, and so does an improvement beyond it until
`bazel run //tools/coverage:record_expectations` records it. A program with
no NPU part (nothing delegated, 0 NPU cycles) has nothing to estimate: it
says "no NPU part" instead of checking a budget, and fails if estimates were
recorded for it (a program that gains an NPU part fails its placement check).
Prints the measured numbers either way; exits 1 naming each failure.
"""

from __future__ import annotations

import json
import math
import pathlib
import sys
from collections.abc import Sequence
from typing import Any

from absl import app, flags

from backend import memory_areas

_REPORT = flags.DEFINE_string("report", None, "report.json from //backend:compile.")
_NPU_CYCLES = flags.DEFINE_integer("npu_cycles", None, "Recorded Vela total cycles.", lower_bound=0)
_SRAM_BYTES = flags.DEFINE_integer("sram_bytes", None, "Recorded SRAM use in bytes.", lower_bound=0)
_FLASH_BYTES = flags.DEFINE_integer("flash_bytes", None, "Recorded DRAM + flash use in bytes.", lower_bound=0)
# The coverage table's recorder; arm_model_test passes each package's own.
DEFAULT_RECORDER = "//tools/coverage:record_expectations"
_RECORDER = flags.DEFINE_string(
    "expectations_recorder", DEFAULT_RECORDER, "The arm_record_expectations target of this test's record."
)
# Vela's estimates do not vary between compiles of the same inputs; the band
# lets a change in an unrelated part of a pinned tool land without re-recording
# every entry, and nothing larger.
_BAND = flags.DEFINE_float("band", 0.02, "Accepted relative change against the recorded estimates.", lower_bound=0.0)
_CPU_OPERATORS = flags.DEFINE_list(
    "cpu_operators", None, "Operators expected on the CPU besides quantize/dequantize casts; empty: none."
)

# The casts into and out of a delegate always run on the CPU.
_BOUNDARY_CASTS = ("quantized_decomposed::quantize_per_tensor", "quantized_decomposed::dequantize_per_tensor")


def fallback_operators(report: dict[str, Any]) -> set[str]:
    """Operators the program runs on the CPU, without overloads, boundary casts excluded."""
    names = {name.removesuffix(".out").split(".")[0] for name in report["non_delegated_operators"]}
    return {name for name in names if name not in _BOUNDARY_CASTS}


def placement_mismatch(report: dict[str, Any], expected: Sequence[str]) -> list[str]:
    """One message per operator that runs somewhere else than declared."""
    actual = fallback_operators(report)
    failures = [f"{op} runs on the CPU (declared delegated)" for op in sorted(actual - set(expected))]
    failures += [f"{op} is delegated (declared CPU fallback)" for op in sorted(set(expected) - actual)]
    return failures


def has_npu_part(report: dict[str, Any]) -> bool:
    """Whether Vela compiled anything: a program that runs entirely on the CPU has no estimate to hold."""
    vela = report.get("vela")
    return vela is not None and report["delegated_partitions"] > 0 and vela["total_cycles"] > 0


def estimates(report: dict[str, Any]) -> dict[str, Any]:
    """Vela's numbers of a program with an NPU part, its SRAM and flash bytes counted where they live."""
    vela: dict[str, Any] = report["vela"]
    return vela | memory_areas.physical_memory(vela)


# Printed in this order; the recorded ones are the keys of `recorded` in main.
_SHOWN = ("total_cycles", "npu_cycles", "sram_bytes", "flash_bytes", "inference_seconds", "core_clock_hz")


def outside_band(vela: dict[str, Any], recorded: dict[str, int | None], band: float,
                 recorder: str = DEFAULT_RECORDER) -> list[str]:
    """One message per estimate that moved beyond band from its recorded value (or is missing);
    an improvement names the recorder target that records it."""
    failures = []
    for key, expected in recorded.items():
        if expected is None:
            continue
        measured = vela.get(key)
        if measured is None:
            failures.append(f"{key}: not in the report")
            continue
        change = (measured - expected) / expected if expected else (math.inf if measured else 0.0)
        if change > band:
            failures.append(f"{key}: {measured:,} is {change:+.1%} on the recorded {expected:,} (allowed +{band:.0%})")
        elif change < -band:
            failures.append(
                f"{key}: {measured:,} improved {change:+.1%} on the recorded {expected:,}; record it with"
                f" `bazel run {recorder}`"
            )
    return failures


def main(argv: Sequence[str]) -> None:
    del argv
    report = json.loads(pathlib.Path(str(_REPORT.value)).read_text())
    failures = []
    print(f"{report['model']} on {report['target']}:")
    print(
        f"  delegated ({report['delegated_partitions']} partitions): {', '.join(sorted(report['delegated_operators']))}"
    )
    reasons = report.get("cpu_fallback_reasons", {})
    on_cpu = [f"{op} ({reasons[op]})" if op in reasons else op for op in sorted(report["non_delegated_operators"])]
    print(f"  on the CPU: {', '.join(on_cpu) or 'nothing'}")
    if _CPU_OPERATORS.value is not None:
        failures += placement_mismatch(report, _CPU_OPERATORS.value)
    recorded = {
        "total_cycles": _NPU_CYCLES.value,
        "sram_bytes": _SRAM_BYTES.value,
        "flash_bytes": _FLASH_BYTES.value,
    }
    any_recorded = any(v is not None for v in recorded.values())
    vela = report.get("vela")
    if vela and not has_npu_part(report):
        print("  no NPU part: the program runs entirely on the CPU (0 NPU cycles), so no Vela estimate to check")
        if any_recorded:
            failures.append("estimates are recorded, but nothing is delegated any more")
    elif vela:
        measured = estimates(report)
        print(f"  Vela ({vela['system_config']}, {vela['memory_mode']}):")
        if measured["weights_in_sram"]:
            print(
                f"    the constants ({vela['on_chip_flash_bytes']:,} B, Vela's 'On-chip Flash' with SRAM timing)"
                " live in SRAM: counted in sram_bytes"
            )
        for key in _SHOWN:
            value = measured.get(key)
            shown = f"{value:,}" if isinstance(value, int) else str(value)
            expected = recorded.get(key)
            band = f" (recorded {expected:,} ± {_BAND.value:.0%})" if expected is not None else ""
            print(f"    {key}: {shown}{band}")
        failures += outside_band(measured, recorded, _BAND.value, _RECORDER.value)
    elif any_recorded:
        failures.append(f"no Vela estimates in {_REPORT.value} (target {report.get('target')} is not Ethos-U)")
    if failures:
        print("FAIL: " + "; ".join(failures))
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    flags.mark_flags_as_required(["report"])  # type: ignore[no-untyped-call]
    app.run(main)
