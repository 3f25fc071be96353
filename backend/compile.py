"""Ahead-of-time compiler: a model to an ExecuTorch program for Arm.

export → (int8 quantize) → partition and lower with ExecuTorch's Arm backend
(TOSA, then Vela for Ethos-U or the model converter for VGF) → .pte/.bpte, plus
a JSON report: what was delegated, Vela's own performance and memory estimates,
and the versions that produced the program.

Where each job lives:
  cli.py       flags → Options (checked, no side effects)
  model_source.py  where the model comes from: a name, a .py, file.py:attr, module:attr, a .pt2
  model_spec.py    what a built-in model is (a seeded factory and seeded inputs)
  errors.py    usage errors (exit 2) and models that do not compile (exit 1)
  targets.py   the target table
  vela.py      Vela's configuration, the hook recording its runs, its summary CSV
  graph.py     what the lowered program is made of (partitions, operators)
  evaluate.py  the lowered program on the TOSA reference model → numerics/
  pipeline.py  the compile: export → quantize → lower → serialize → report
  compile.py   this entry point: runs one compile, writes the report, exit status

Usage:
  compile --model=add|model.py|model.py:attr|package.module:attr|model.pt2 --target=ethos-u55-128 \\
      --output=add.pte [--model_inputs=inputs.pt] [--allow_pickled_model] \\
      [--model_path=DIR] [--model_name=NAME] \\
      [--report=add.json] [--intermediates=DIR] [--bundleio --output=add.bpte] \\
      [--[no]quantize] [--system_config=NAME] [--memory_mode=NAME] \\
      [--vela_config=vela.ini] [--direct_drive] [--weights=state_dict.pt] \\
      [--activations=int8|int16] [--calibration_data=samples.pt] [--etrecord=FILE] \\
      [--timing=FILE]

With --intermediates, the lowered program is also evaluated (its CPU part in
PyTorch, each delegated partition on the TOSA reference model) and its outputs
are written to numerics/ next to PyTorch's, for the numerics check.

Exit status: 0 compiled; 1 the model does not compile for the target; 2 bad usage.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Sequence

from absl import app

from backend import cli, errors, pipeline


def main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        print(f"error: unexpected arguments: {' '.join(argv[1:])}", file=sys.stderr)
        sys.exit(errors.EXIT_USAGE)
    try:
        options = cli.options_from_flags()
    except errors.UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(errors.EXIT_USAGE)
    # ExecuTorch logs every pass at INFO; keep warnings only. torch warns on
    # each import that torchao's enums use a deprecated pytree registration.
    logging.getLogger("executorch").setLevel(logging.WARNING)
    logging.getLogger("torch.utils._pytree").setLevel(logging.ERROR)
    started = time.monotonic()
    try:
        report = pipeline.compile_model(options)
    except errors.UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(errors.EXIT_USAGE)
    except errors.CompileError as error:
        print(f"error: cannot compile {options.model} for {options.target}: {error}", file=sys.stderr)
        sys.exit(errors.EXIT_DOES_NOT_COMPILE)
    seconds = time.monotonic() - started
    if options.timing is not None:
        options.timing.write_text(json.dumps({"compile_seconds": round(seconds, 3)}) + "\n")
    text = json.dumps(report, indent=2, sort_keys=True) + "\n"
    if options.report is not None:
        options.report.parent.mkdir(parents=True, exist_ok=True)
        options.report.write_text(text)
    vela = report["vela"]
    estimate = f", Vela: {vela['total_cycles']} cycles, {vela['sram_bytes']} B SRAM" if vela else ""
    # Timing goes to stderr only, so the report stays byte-reproducible.
    print(
        f"compiled {options.model} for {options.target} in {seconds:.1f} s: "
        f"{options.output} ({report['program_bytes']} bytes, "
        f"{report['delegated_partitions']} delegated partition(s){estimate})",
        file=sys.stderr,
    )


if __name__ == "__main__":
    app.run(main)
