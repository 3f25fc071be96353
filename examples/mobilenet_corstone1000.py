"""MobileNetV2 on Corstone-1000 (Cortex-A320 Linux + Ethos-U85), end to end.

Bazel has already compiled MobileNetV2 twice (cached actions): for the Ethos-U85 NPU and, for
comparison, as a float CPU program for the Cortex-A320; and built the ExecuTorch runner for aarch64
Linux with the Ethos-U delegate. This program picks the best executor available — the Corstone-1000
FVP booting Linux, else qemu-aarch64 user mode — and runs the U85 program end to end: its CPU part
on ExecuTorch's kernels, its NPU part on this project's functional Ethos-U model (bit-accurate, not
cycle-accurate; no hardware, no FVP). It prints the top-5 classes against PyTorch (eager and
quantized) and the compile's lowered program, the time per inference split between the CPU and
the model, the memory report and Vela's estimate for the NPU part, then the CPU-only program's
top-5 agreement and time as a comparison line.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys
import tempfile
from collections.abc import Sequence

from absl import app, flags

from examples.classify import (
    agreement,
    average_milliseconds,
    describe_vela,
    print_runner_lines,
    print_top5,
    print_weights,
    run_runner,
)
from examples.user_image import example_input

_RUNNER = flags.DEFINE_string("runner", None, "executor_runner for Corstone-1000 (under qemu-aarch64).", required=True)
_NPU_PROGRAM = flags.DEFINE_string("npu_program", None, "MobileNetV2 compiled for the Ethos-U85.", required=True)
_NPU_REPORT = flags.DEFINE_string("npu_report", None, "Its compile report.", required=True)
_NPU_INTERMEDIATES = flags.DEFINE_string(
    "npu_intermediates", None, "Its compile intermediates (numerics/: inputs and references).", required=True
)
_CPU_PROGRAM = flags.DEFINE_string("cpu_program", None, "MobileNetV2 as a float CPU .pte.", required=True)
_FVP_STATUS = flags.DEFINE_string("fvp_status", None, "STATUS of @fvp_corstone1000.", required=True)
_NUM_INFERENCES = flags.DEFINE_integer("num_inferences", 3, "Timed inferences.", lower_bound=1)
_IMAGE = flags.DEFINE_string("image", None, "Classify this image (JPEG, PNG, ...) instead of the seeded input.")
_WEIGHTS = flags.DEFINE_string("weights", "", "The state_dict the programs were compiled with ('': seeded).")

LINUX_IMAGE_VARIABLE = "CORSTONE1000_LINUX_IMAGE"


def choose_executor(fvp_status: str) -> tuple[str, str]:
    """Returns (executor, why): the FVP when it and a bootable image exist, else QEMU."""
    if fvp_status.startswith("available"):
        if os.environ.get(LINUX_IMAGE_VARIABLE):
            return "fvp", "Corstone-1000 FVP with the Linux image in $" + LINUX_IMAGE_VARIABLE
        return "qemu", f"the Corstone-1000 FVP is installed but ${LINUX_IMAGE_VARIABLE} names no Linux image"
    return "qemu", "Corstone-1000 FVP not installed (" + fvp_status.removeprefix("missing: ").strip() + ")"


def main(argv: Sequence[str]) -> None:
    del argv
    npu_report = json.loads(pathlib.Path(_NPU_REPORT.value).read_text())
    print(f"Corstone-1000: MobileNetV2 for the Cortex-A320 and {npu_report['target']}")
    print_weights(npu_report)
    executor, why = choose_executor(pathlib.Path(_FVP_STATUS.value).read_text())
    if executor == "fvp":
        sys.exit("The Corstone-1000 FVP run needs the FVP's Linux boot flow; see README.md, 'What runs where'.")
    print(f"executor: qemu-aarch64 user mode ({why}): the Cortex-A320 part on ExecuTorch's kernels, the NPU "
          f"part ({npu_report['target']}) on the functional Ethos-U model of runtime/ethos_u — bit-accurate, "
          "NOT cycle-accurate, not hardware, not an FVP")

    image, references, what = example_input(_IMAGE.value, _WEIGHTS.value, _NPU_INTERMEDIATES.value)
    with tempfile.TemporaryDirectory() as tmp:
        logits, log = run_runner(_RUNNER.value, _NPU_PROGRAM.value, image, _NUM_INFERENCES.value, pathlib.Path(tmp))
        cpu_logits, cpu_log = run_runner(
            _RUNNER.value, _CPU_PROGRAM.value, image, _NUM_INFERENCES.value, pathlib.Path(tmp)
        )
    print(f"top-5 classes ({what}):")
    print_top5(logits, references)
    print_runner_lines(log, "")
    print(describe_vela(npu_report))
    eager_name, eager = next(iter(references.items()))
    print(f"comparison, the float CPU-only program on the Cortex-A320 (qemu-aarch64): "
          f"{average_milliseconds(cpu_log):.3f} ms per inference; against {eager_name}: "
          f"{agreement(cpu_logits, eager)}")


if __name__ == "__main__":
    app.run(main)
