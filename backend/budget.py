"""Budget check: where a compiled program's operators run, and Vela's estimates, against declared limits.

Usage:
  budget --report=report.json [--cpu_operators=op,op] \
      [--max_npu_cycles=N] [--max_sram_bytes=N] [--max_flash_bytes=N]

--cpu_operators lists the operators expected to stay on the CPU (CPU
fallback) besides the quantize/dequantize casts at the delegate boundaries;
an empty value means fully delegated. Any difference fails, naming the
operators, so both a new fallback and a newly delegated operator show up.

--max_npu_cycles bounds Vela's *total* cycle estimate (the inference's cycles
on the NPU, memory stalls included; never below Vela's compute-only "NPU
cycles"). --max_flash_bytes bounds everything outside SRAM (DRAM + flash).
Prints the measured numbers either way; exits 1 naming each exceeded budget.
"""

from __future__ import annotations

import json
import pathlib
import sys
from collections.abc import Sequence
from typing import Any

from absl import app, flags

_REPORT = flags.DEFINE_string("report", None, "report.json from //backend:compile.")
_MAX_NPU_CYCLES = flags.DEFINE_integer("max_npu_cycles", None, "Budget for Vela's total cycles.", lower_bound=0)
_MAX_SRAM_BYTES = flags.DEFINE_integer("max_sram_bytes", None, "Budget for SRAM use in bytes.", lower_bound=0)
_MAX_FLASH_BYTES = flags.DEFINE_integer("max_flash_bytes", None, "Budget for DRAM + flash use in bytes.", lower_bound=0)
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


# Printed in this order; the budgeted ones are the keys of budgets() below.
_SHOWN = ("total_cycles", "npu_cycles", "sram_bytes", "flash_bytes", "inference_seconds", "core_clock_hz")


def over_budget(vela: dict[str, Any], budgets: dict[str, int | None]) -> list[str]:
    """Returns one message per exceeded (or unmeasured) budget; empty when all hold."""
    failures = []
    for key, limit in budgets.items():
        if limit is None:
            continue
        if vela.get(key) is None:
            failures.append(f"{key}: not in the report")
        elif vela[key] > limit:
            failures.append(f"{key}: {vela[key]:,} exceeds the budget of {limit:,} by {vela[key] - limit:,}")
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
    budgets = {
        "total_cycles": _MAX_NPU_CYCLES.value,
        "sram_bytes": _MAX_SRAM_BYTES.value,
        "flash_bytes": _MAX_FLASH_BYTES.value,
    }
    vela = report.get("vela")
    if vela:
        print(f"  Vela ({vela['system_config']}, {vela['memory_mode']}):")
        for key in _SHOWN:
            limit = budgets.get(key)
            value = vela.get(key)
            shown = f"{value:,}" if isinstance(value, int) else str(value)
            print(f"    {key}: {shown}" + (f" (budget {limit:,})" if limit is not None else ""))
        failures += over_budget(vela, budgets)
    elif any(v is not None for v in budgets.values()):
        failures.append(f"no Vela estimates in {_REPORT.value} (target {report.get('target')} is not Ethos-U)")
    if failures:
        print("FAIL: " + "; ".join(failures))
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    flags.mark_flags_as_required(["report"])  # type: ignore[no-untyped-call]
    app.run(main)
