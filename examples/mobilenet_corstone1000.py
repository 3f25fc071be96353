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
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from absl import app, flags

from backend import models

_RUNNER = flags.DEFINE_string("runner", None, "executor_runner for Corstone-1000 (under qemu-aarch64).", required=True)
_CPU_PROGRAM = flags.DEFINE_string("cpu_program", None, "MobileNetV2 as a CPU .pte.", required=True)
_NPU_REPORT = flags.DEFINE_string("npu_report", None, "Compile report of the Ethos-U85 program.", required=True)
_CPU_REPORT = flags.DEFINE_string("cpu_report", None, "Compile report of the CPU program.", required=True)
_CPU_INTERMEDIATES = flags.DEFINE_string(
    "cpu_intermediates", None, "Intermediates of the CPU compile (PyTorch's reference outputs).", required=True
)
_FVP_STATUS = flags.DEFINE_string("fvp_status", None, "STATUS of @fvp_corstone1000.", required=True)
_NUM_INFERENCES = flags.DEFINE_integer("num_inferences", 3, "Timed inferences.")

LINUX_IMAGE_VARIABLE = "CORSTONE1000_LINUX_IMAGE"


def choose_executor(fvp_status: str) -> tuple[str, str]:
    """Returns (executor, why): the FVP when it and a bootable image exist, else QEMU."""
    if fvp_status.startswith("available"):
        if os.environ.get(LINUX_IMAGE_VARIABLE):
            return "fvp", "Corstone-1000 FVP with the Linux image in $" + LINUX_IMAGE_VARIABLE
        return "qemu", f"the Corstone-1000 FVP is installed but ${LINUX_IMAGE_VARIABLE} names no Linux image"
    return "qemu", "Corstone-1000 FVP not installed (" + fvp_status.removeprefix("missing: ").strip() + ")"


def class_names() -> list[str]:
    """ImageNet class names as torchvision ships them (no download)."""
    from torchvision.models import MobileNet_V2_Weights

    names: list[str] = list(MobileNet_V2_Weights.IMAGENET1K_V1.meta["categories"])
    return names


def top5(logits: npt.NDArray[np.float32]) -> list[tuple[int, float]]:
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    order = np.argsort(-probabilities)[:5]
    return [(int(i), float(probabilities[i])) for i in order]


def run_runner(runner: str, program: str, image: npt.NDArray[np.float32], num_inferences: int,
               workdir: pathlib.Path) -> tuple[npt.NDArray[np.float32], str]:
    input_file = workdir / "input_0.bin"
    image.astype(np.float32).tofile(input_file)
    outputs = workdir / "outputs"
    # The runner is a script that finds qemu and the sysroot in the runfiles
    # tree; under `bazel run` this program's working directory is <runfiles>/_main.
    env = dict(os.environ)
    env.setdefault("RUNFILES_DIR", str(pathlib.Path.cwd().parent))
    result = subprocess.run(
        [runner, f"--model_path={program}", f"--input_files={input_file}",
         f"--num_inferences={num_inferences}", f"--output_dir={outputs}"],
        capture_output=True, text=True, check=False, env=env,
    )
    if result.returncode != 0:
        raise RuntimeError(f"executor_runner failed ({result.returncode}): {result.stderr.strip()}")
    logits = np.fromfile(outputs / "output_0.bin", dtype=np.float32)
    return logits, result.stdout


def main(argv: Sequence[str]) -> None:
    del argv
    cpu_report = json.loads(pathlib.Path(_CPU_REPORT.value).read_text())
    print(f"weights: {cpu_report['weights']}")
    if cpu_report["weights"].startswith("seeded"):
        print("  (pretrained ImageNet weights are never downloaded: save torchvision's mobilenet_v2 "
              "state_dict locally and build with --//examples:mobilenet_weights=//path/to:file.pt)")
    executor, why = choose_executor(pathlib.Path(_FVP_STATUS.value).read_text())
    if executor == "fvp":
        sys.exit("The Corstone-1000 FVP run needs the FVP's Linux boot flow; see examples/README.md.")
    print(f"executor: qemu-aarch64 user mode, Cortex-A320 CPU program ({why})")

    # The compile's own example input and PyTorch eager's outputs for it.
    (image,) = models.spec("mobilenet_v2").example_inputs()
    reference = pathlib.Path(_CPU_INTERMEDIATES.value) / "numerics" / "eager_0.npy"
    # numerics/ stacks the evaluation samples; the first is the example input.
    expected = np.load(reference, allow_pickle=False)[0].ravel()
    with tempfile.TemporaryDirectory() as tmp:
        logits, log = run_runner(_RUNNER.value, _CPU_PROGRAM.value, image.numpy(),
                                 _NUM_INFERENCES.value, pathlib.Path(tmp))

    names = class_names()
    print("top-5 classes (deterministic seeded input):")
    expected_top5 = [i for i, _ in top5(expected)]
    for rank, (index, probability) in enumerate(top5(logits), 1):
        print(f"  {rank}. {names[index]} (class {index}): {probability:.4f}")
    same = [i for i, _ in top5(logits)] == expected_top5
    print(f"agrees with PyTorch eager: top-5 {'identical' if same else 'DIFFERENT'}, "
          f"max |logit difference| {float(np.max(np.abs(logits - expected))):.2e}")
    for line in log.splitlines():
        if re.match(r"(inference \d+/\d+|average|memory):", line):
            print(f"cpu {line}")

    report = json.loads(pathlib.Path(_NPU_REPORT.value).read_text())
    vela = report["vela"]
    print(f"Ethos-U85 estimate ({report['target']}, {vela['system_config']}, {vela['memory_mode']}): "
          f"{vela['total_cycles']:,} cycles = {vela['inference_seconds'] * 1e3:.2f} ms at "
          f"{vela['core_clock_hz'] / 1e6:.0f} MHz; SRAM {vela['sram_bytes']:,} bytes, "
          f"DRAM/flash {vela['dram_bytes'] + vela['flash_bytes']:,} bytes; "
          f"{report['delegated_partitions']} delegated partition(s)")


if __name__ == "__main__":
    app.run(main)
