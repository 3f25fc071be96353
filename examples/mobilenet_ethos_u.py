"""MobileNetV2 on a Corstone board's Ethos-U NPU, its NPU part on the functional model.

Bazel has already compiled MobileNetV2 for the board's Ethos-U55 or Ethos-U85 (a cached action)
and built the ExecuTorch runner for the host with the Ethos-U delegate. This program runs the whole
program in that runner: the CPU part on ExecuTorch's kernels, the Ethos-U command stream on this
project's functional model of the NPU (runtime/ethos_u: bit-accurate, not cycle-accurate; no
hardware, no FVP). It prints the top-5 classes against PyTorch (eager and quantized) and against the
compile's lowered program (NPU part on the TOSA reference model), the time per inference split
between the CPU and the model, the memory report and Vela's performance estimate, which remains the
performance figure.
"""

from __future__ import annotations

import json
import pathlib
import tempfile
from collections.abc import Sequence

from absl import app, flags

from examples.classify import describe_vela, print_runner_lines, print_top5, print_weights, run_runner
from examples.user_image import example_input

_BOARD = flags.DEFINE_string("board", None, "The board, as the example names it.", required=True)
_RUNNER = flags.DEFINE_string("runner", None, "executor_runner for the host, with the Ethos-U delegate.", required=True)
_PROGRAM = flags.DEFINE_string("program", None, "MobileNetV2 compiled for the board's Ethos-U.", required=True)
_REPORT = flags.DEFINE_string("report", None, "Its compile report.", required=True)
_INTERMEDIATES = flags.DEFINE_string(
    "intermediates", None, "Its compile intermediates (numerics/: inputs and references).", required=True
)
_NUM_INFERENCES = flags.DEFINE_integer("num_inferences", 3, "Timed inferences.", lower_bound=1)
_IMAGE = flags.DEFINE_string("image", None, "Classify this image (JPEG, PNG, ...) instead of the seeded input.")
_WEIGHTS = flags.DEFINE_string("weights", "", "The state_dict the program was compiled with ('': seeded).")


def main(argv: Sequence[str]) -> None:
    del argv
    report = json.loads(pathlib.Path(_REPORT.value).read_text())
    print(f"{_BOARD.value}: MobileNetV2 for {report['target']}")
    print_weights(report)
    print(f"executor: executor_runner on this host; the NPU part ({report['target']}) on the functional "
          "Ethos-U model of runtime/ethos_u — bit-accurate, NOT cycle-accurate, not hardware, not an FVP")
    image, references, what = example_input(_IMAGE.value, _WEIGHTS.value, _INTERMEDIATES.value)
    with tempfile.TemporaryDirectory() as tmp:
        logits, log = run_runner(_RUNNER.value, _PROGRAM.value, image, _NUM_INFERENCES.value, pathlib.Path(tmp))
    print(f"top-5 classes ({what}):")
    print_top5(logits, references)
    print_runner_lines(log, "")
    print(describe_vela(report))


if __name__ == "__main__":
    app.run(main)
