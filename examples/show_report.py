"""Prints a compiled program's report: what ran where, Vela's estimates, sizes, versions."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Sequence
from typing import Any

from absl import app, flags

_REPORT = flags.DEFINE_string("report", None, "report.json written by //backend:compile.", required=True)
_PROGRAM = flags.DEFINE_string("program", None, "The compiled .pte/.bpte.", required=True)


def _format_ops(ops: dict[str, int]) -> str:
    return ", ".join(f"{name} x{count}" for name, count in sorted(ops.items())) or "none"


def describe(report: dict[str, Any], program: pathlib.Path) -> str:
    lines = [
        f"model {report['model']} for {report['target']}"
        f" ({'int8 quantized' if report.get('quantized') else 'float'})",
        f"program: {program.name}, {program.stat().st_size:,} bytes",
        f"delegated partitions: {report.get('delegated_partitions')}",
        f"on the NPU: {_format_ops(report.get('delegated_operators', {}))}",
        f"on the CPU: {_format_ops(report.get('non_delegated_operators', {}))}",
    ]
    vela = report.get("vela")
    if vela:
        lines.append("Vela estimate:")
        lines.extend(f"  {key}: {value}" for key, value in sorted(vela.items()))
    lines.append("versions: " + ", ".join(f"{k} {v}" for k, v in sorted(report.get("versions", {}).items())))
    return "\n".join(lines)


def main(argv: Sequence[str]) -> None:
    del argv
    report = json.loads(pathlib.Path(_REPORT.value).read_text())
    print(describe(report, pathlib.Path(_PROGRAM.value)))


if __name__ == "__main__":
    app.run(main)
