"""Budget check: Vela's estimates in a compile report against declared limits.

Usage:
  budget --report=report.json [--max_npu_cycles=N] [--max_sram_bytes=N] [--max_flash_bytes=N]

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
    vela = report.get("vela")
    if not vela:
        print(f"FAIL: {_REPORT.value} has no Vela estimates (target {report.get('target')} is not Ethos-U)")
        sys.exit(1)
    budgets = {
        "total_cycles": _MAX_NPU_CYCLES.value,
        "sram_bytes": _MAX_SRAM_BYTES.value,
        "flash_bytes": _MAX_FLASH_BYTES.value,
    }
    print(f"{report['model']} on {report['target']} ({vela['system_config']}, {vela['memory_mode']}):")
    for key in _SHOWN:
        limit = budgets.get(key)
        value = vela.get(key)
        shown = f"{value:,}" if isinstance(value, int) else str(value)
        print(f"  {key}: {shown}" + (f" (budget {limit:,})" if limit is not None else ""))
    failures = over_budget(vela, budgets)
    if failures:
        print("FAIL: " + "; ".join(failures))
        sys.exit(1)
    print("PASS: within budget" if any(v is not None for v in budgets.values()) else "PASS: no budget given")


if __name__ == "__main__":
    flags.mark_flags_as_required(["report"])  # type: ignore[no-untyped-call]
    app.run(main)
