"""Checks an arm_accuracy JSON: every executor's top-1 within --max_top1_drop_points of float
PyTorch's, and the executors that must have run did.

Exit codes: 0 within bounds; 1 an executor lost more than the bound or is missing; 2 bad flags or
JSON.
"""

from __future__ import annotations

import json
import pathlib
import sys
from collections.abc import Sequence
from typing import Any

from absl import app, flags

_ACCURACY = flags.DEFINE_string("accuracy", None, "An arm_accuracy target's .json.")
_MAX_DROP = flags.DEFINE_float(
    "max_top1_drop_points", 1.0, "Largest top-1 loss allowed against float PyTorch, in percentage points."
)
_EXECUTORS = flags.DEFINE_multi_string(
    "executor", [], "An executor that must be in the table (a prefix of its name); repeatable."
)

FLOAT = "float PyTorch"


def failures(result: dict[str, Any], max_drop_points: float, required: Sequence[str]) -> list[str]:
    """What is wrong with the table, one line each; empty when it is within bounds."""
    rows = {row["executor"]: row for row in result["executors"]}
    problems = [f"no executor named {name}... ran" for name in required if not any(r.startswith(name) for r in rows)]
    reference = rows[FLOAT]["top1"]
    samples = result["dataset"]["samples"]
    for name, row in rows.items():
        if row["samples"] != samples:
            problems.append(f"{name} ran {row['samples']} of the {samples} samples")
        drop = (reference - row["top1"]) * 100
        if drop > max_drop_points:
            problems.append(
                f"{name}: top-1 {row['top1']:.2%} is {drop:.2f} points below float's {reference:.2%} "
                f"(allowed: {max_drop_points})"
            )
    return problems


def main(argv: Sequence[str]) -> int:
    del argv
    try:
        result = json.loads(pathlib.Path(_ACCURACY.value or "").read_text())
        problems = failures(result, _MAX_DROP.value, _EXECUTORS.value)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"check_accuracy: error: cannot read --accuracy {_ACCURACY.value}: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"FAIL {result['model']} for {result['target']}: {problem}")
    if not problems:
        rows = ", ".join(f"{row['executor'].split(',')[0]} {row['top1']:.2%}" for row in result["executors"])
        print(f"OK {result['model']} for {result['target']} on {result['dataset']['samples']} samples: {rows}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(app.run(main))
