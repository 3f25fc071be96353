"""Budget check: Vela's estimates in a compile report against declared limits.

Usage: budget --report=report.json [--max_npu_cycles=N] [--max_sram_bytes=N] [--max_flash_bytes=N]
Prints every measured number; exits 1 naming each budget that is exceeded.
"""

from __future__ import annotations

import json
import pathlib
import sys
from collections.abc import Sequence
from typing import Any

from absl import app, flags

_REPORT = flags.DEFINE_string("report", None, "report.json from //backend:compile.")
_MAX_NPU_CYCLES = flags.DEFINE_integer("max_npu_cycles", None, "Budget for Vela's total cycles.")
_MAX_SRAM_BYTES = flags.DEFINE_integer("max_sram_bytes", None, "Budget for SRAM use.")
_MAX_FLASH_BYTES = flags.DEFINE_integer("max_flash_bytes", None, "Budget for off-chip flash use.")


def over_budget(vela: dict[str, Any], budgets: dict[str, int | None]) -> list[str]:
    """Returns one message per exceeded budget."""
    failures = []
    for key, limit in budgets.items():
        if limit is None:
            continue
        if key not in vela:
            failures.append(f"{key}: not in the report")
        elif vela[key] > limit:
            failures.append(f"{key}: {vela[key]:,} exceeds the budget of {limit:,} by {vela[key] - limit:,}")
    return failures


def main(argv: Sequence[str]) -> None:
    del argv
    report = json.loads(pathlib.Path(_REPORT.value).read_text())
    vela = report.get("vela")
    if not vela:
        print(f"FAIL: {_REPORT.value} has no Vela estimates (target {report.get('target')})")
        sys.exit(1)
    budgets = {
        "total_cycles": _MAX_NPU_CYCLES.value,
        "sram_bytes": _MAX_SRAM_BYTES.value,
        "flash_bytes": _MAX_FLASH_BYTES.value,
    }
    print(f"{report['model']} on {report['target']} ({vela['system_config']}, {vela['memory_mode']}):")
    for key in ("total_cycles", "npu_cycles", "sram_bytes", "flash_bytes", "dram_bytes", "inference_seconds"):
        limit = budgets.get(key)
        print(f"  {key}: {vela[key]}" + (f" (budget {limit:,})" if limit is not None else ""))
    failures = over_budget(vela, budgets)
    if failures:
        print("FAIL: " + "; ".join(failures))
        sys.exit(1)
    print("PASS: within budget")


if __name__ == "__main__":
    flags.mark_flags_as_required(['report'])
    app.run(main)
