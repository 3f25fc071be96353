"""What the MobileNetV2 examples share: running a program in executor_runner, top-5 classes."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
from typing import Any

import numpy as np
import numpy.typing as npt


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
    """The program's first output for `image`, and the runner's log."""
    input_file = workdir / "input_0.bin"
    image.astype(np.float32).tofile(input_file)
    outputs = workdir / "outputs"
    # The qemu wrapper finds qemu and the sysroot in the runfiles tree; under
    # `bazel run` this program's working directory is <runfiles>/_main.
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


def print_top5(logits: npt.NDArray[np.float32], references: dict[str, npt.NDArray[np.float32]]) -> None:
    """The top-5 classes and, per reference (e.g. PyTorch eager), whether they agree."""
    names = class_names()
    for rank, (index, probability) in enumerate(top5(logits), 1):
        print(f"  {rank}. {names[index]} (class {index}): {probability:.4f}")
    for name, expected in references.items():
        print(f"agrees with {name}: {agreement(logits, expected)}")


def agreement(logits: npt.NDArray[np.float32], expected: npt.NDArray[np.float32]) -> str:
    """Whether two outputs give the same top-5 classes, and their largest logit difference."""
    same = [i for i, _ in top5(logits)] == [i for i, _ in top5(expected)]
    return (f"top-5 {'identical' if same else 'DIFFERENT'}, "
            f"max |logit difference| {float(np.max(np.abs(logits - expected))):.2e}")


def average_milliseconds(log: str) -> float:
    """The runner's average time per inference."""
    match = re.search(r"^average: ([0-9.]+) ms", log, re.M)
    if match is None:
        raise RuntimeError(f"executor_runner printed no average time:\n{log}")
    return float(match.group(1))


def print_runner_lines(log: str, prefix: str) -> None:
    """The runner's timing and memory lines."""
    for line in log.splitlines():
        if re.match(r"(inference \d+/\d+|average|of which [^:]*|memory):", line):
            print(f"{prefix}{line}")


def describe_vela(report: dict[str, Any]) -> str:
    """Vela's performance estimate of a program's NPU part, one line."""
    vela = report["vela"]
    return (f"Vela's estimate for the NPU part ({report['target']}, {vela['system_config']}, {vela['memory_mode']}): "
            f"{vela['total_cycles']:,} cycles = {vela['inference_seconds'] * 1e3:.2f} ms at "
            f"{vela['core_clock_hz'] / 1e6:.0f} MHz; SRAM {vela['sram_bytes']:,} bytes, "
            f"DRAM/flash {vela['dram_bytes'] + vela['flash_bytes']:,} bytes; "
            f"{report['delegated_partitions']} delegated partition(s)")


def print_weights(report: dict[str, Any]) -> None:
    """Which weights the program was compiled with, and what seeded ones mean."""
    print(f"weights: {report['weights']}")
    if report["weights"].startswith("seeded"):
        print("  (seeded random weights: the classes below are MEANINGLESS, whatever the image. Pretrained "
              "ImageNet weights are never downloaded: save torchvision's mobilenet_v2 state_dict locally, build "
              "with --//examples:mobilenet_weights=//path/to:file.pt and pass your own photo with --image=PATH)")
