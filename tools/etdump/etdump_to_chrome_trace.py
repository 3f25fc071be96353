"""Converts an ETDump (+ optional ETRecord) into a Chrome trace JSON.

Open the result in chrome://tracing or https://ui.perfetto.dev. Each ETDump
event block (e.g. one per method execution pattern) becomes a thread; each
profiled event of each run becomes a complete ("X") event whose arguments hold
the operator types, debug handles and, with an ETRecord, the module stack.

  etdump_to_chrome_trace --etdump=model.etdp [--etrecord=model_etrecord.bin] \
      --output=trace.json
"""

from __future__ import annotations

import json
import pathlib
import sys
from typing import Any

from absl import app, flags

_ETDUMP = flags.DEFINE_string(
    "etdump", None, "ETDump written by executor_runner --etdump_path (required)."
)
_ETRECORD = flags.DEFINE_string(
    "etrecord", None, "Optional ETRecord of the same program."
)
_OUTPUT = flags.DEFINE_string("output", None, "Chrome trace JSON to write (required).")

# Runtime timestamps are nanoseconds (ExecuTorch's default Linux PAL); Chrome
# traces use microseconds.
_NS_PER_US = 1000.0


def _jsonable(value: Any) -> Any:
    """Event fields as JSON values (tuples, sets and odd objects as text)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


def build_trace(etdump: pathlib.Path, etrecord: pathlib.Path | None) -> dict[str, Any]:
    """Reads the ETDump with executorch's Inspector and lays out the events."""
    try:
        from executorch.devtools import Inspector
        from executorch.devtools.inspector._inspector_utils import (
            TimeScale,
        )
    except ImportError as e:  # pragma: no cover - the venv has executorch
        raise SystemExit(
            f"etdump_to_chrome_trace: executorch.devtools.Inspector is not available: {e}"
        ) from e

    inspector = Inspector(
        etdump_path=str(etdump),
        etrecord=str(etrecord) if etrecord is not None else None,
        source_time_scale=TimeScale.NS,
        target_time_scale=TimeScale.US,
    )
    events: list[dict[str, Any]] = []
    starts: list[float] = []
    for tid, block in enumerate(inspector.event_blocks):
        events.append(
            {
                "name": "thread_name",
                "ph": "M",
                "pid": 0,
                "tid": tid,
                "args": {"name": str(block.name)},
            }
        )
        for event in block.events:
            if event.perf_data is None or event.start_time is None:
                continue
            durations_us: list[float] = list(event.perf_data.raw)
            for run, (start_ns, dur_us) in enumerate(
                zip(event.start_time, durations_us, strict=True)
            ):
                start_us = float(start_ns) / _NS_PER_US
                starts.append(start_us)
                args: dict[str, Any] = {
                    "run": run,
                    "op_types": _jsonable(event.op_types),
                    "debug_handles": _jsonable(event.debug_handles),
                    "instruction_id": _jsonable(event._instruction_id),
                }
                if event.is_delegated_op:
                    args["delegate_backend"] = _jsonable(event.delegate_backend_name)
                if event.stack_traces:
                    args["stack_traces"] = _jsonable(event.stack_traces)
                if event.module_hierarchy:
                    args["module_hierarchy"] = _jsonable(event.module_hierarchy)
                events.append(
                    {
                        "name": str(event.name),
                        "cat": str(block.name),
                        "ph": "X",
                        "ts": start_us,
                        "dur": float(dur_us),
                        "pid": 0,
                        "tid": tid,
                        "args": args,
                    }
                )
    # Make the trace start at 0.
    origin = min(starts) if starts else 0.0
    for trace_event in events:
        if trace_event["ph"] == "X":
            trace_event["ts"] = round(trace_event["ts"] - origin, 3)
    return {
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "etdump": str(etdump),
            "etrecord": str(etrecord) if etrecord else None,
        },
    }


def main(argv: list[str]) -> None:
    del argv
    if not _ETDUMP.value or not _OUTPUT.value:
        raise app.UsageError("--etdump and --output are required")
    etrecord = pathlib.Path(_ETRECORD.value) if _ETRECORD.value else None
    trace = build_trace(pathlib.Path(_ETDUMP.value), etrecord)
    pathlib.Path(_OUTPUT.value).write_text(json.dumps(trace, indent=1) + "\n")
    n = sum(1 for event in trace["traceEvents"] if event["ph"] == "X")
    print(f"etdump_to_chrome_trace: {n} events -> {_OUTPUT.value}", file=sys.stderr)


if __name__ == "__main__":
    app.run(main)
