"""MobileNetV2 on Corstone-1000 (Cortex-A320 Linux + Ethos-U85), end to end.

Bazel has already compiled MobileNetV2 twice (cached actions): for the
Ethos-U85 NPU, whose Vela report gives the NPU estimate, and as a CPU program
for the Cortex-A320, and built the ExecuTorch runner for aarch64 Linux. This
program picks the best executor available — the Corstone-1000 FVP booting
Linux, else qemu-aarch64 user mode — runs the CPU program on a deterministic
input, and prints the top-5 classes (checked against PyTorch eager), the
per-inference time, the NPU estimate and the memory use.

The NPU program needs the Ethos-U85 driver of the Corstone-1000 Linux image;
it runs only on the FVP (see examples/README.md for what that requires).
"""

from __future__ import annotations

import json
import os
import pathlib
import sys
import tempfile
from collections.abc import Sequence

import numpy as np
from absl import app, flags

from examples.classify import describe_vela, print_runner_lines, print_top5, print_weights, run_runner
from examples.user_image import eager_logits, load_image

_RUNNER = flags.DEFINE_string("runner", None, "executor_runner for Corstone-1000 (under qemu-aarch64).", required=True)
_CPU_PROGRAM = flags.DEFINE_string("cpu_program", None, "MobileNetV2 as a CPU .pte.", required=True)
_NPU_REPORT = flags.DEFINE_string("npu_report", None, "Compile report of the Ethos-U85 program.", required=True)
_CPU_REPORT = flags.DEFINE_string("cpu_report", None, "Compile report of the CPU program.", required=True)
_CPU_INTERMEDIATES = flags.DEFINE_string(
    "cpu_intermediates", None, "Intermediates of the CPU compile (PyTorch's reference outputs).", required=True
)
_FVP_STATUS = flags.DEFINE_string("fvp_status", None, "STATUS of @fvp_corstone1000.", required=True)
_NUM_INFERENCES = flags.DEFINE_integer("num_inferences", 3, "Timed inferences.")
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
    cpu_report = json.loads(pathlib.Path(_CPU_REPORT.value).read_text())
    print_weights(cpu_report)
    executor, why = choose_executor(pathlib.Path(_FVP_STATUS.value).read_text())
    if executor == "fvp":
        sys.exit("The Corstone-1000 FVP run needs the FVP's Linux boot flow; see examples/README.md.")
    print(f"executor: qemu-aarch64 user mode, Cortex-A320 CPU program ({why})")

    if _IMAGE.value:
        image = load_image(_IMAGE.value)
        expected = eager_logits(image, _WEIGHTS.value)
        what = _IMAGE.value
    else:
        # The compile's own example input and PyTorch eager's outputs for it:
        # numerics/ stacks the evaluation samples; the first is the example input.
        numerics = pathlib.Path(_CPU_INTERMEDIATES.value) / "numerics"
        image = np.load(numerics / "input_0.npy", allow_pickle=False)[0]
        expected = np.load(numerics / "eager_0.npy", allow_pickle=False)[0].ravel()
        what = "deterministic seeded input; --image=PATH for your own"
    with tempfile.TemporaryDirectory() as tmp:
        logits, log = run_runner(_RUNNER.value, _CPU_PROGRAM.value, image,
                                 _NUM_INFERENCES.value, pathlib.Path(tmp))

    print(f"top-5 classes ({what}):")
    print_top5(logits, {"PyTorch eager": expected})
    print_runner_lines(log, "cpu ")

    print(describe_vela(json.loads(pathlib.Path(_NPU_REPORT.value).read_text())))

if __name__ == "__main__":
    app.run(main)
