"""The digits CNN on a Corstone board: accuracy on the held-out digits per executor, Vela's
estimate and memory use of the NPU part, and one held-out digit with the class each executor gives.

Bazel has already trained the CNN on scikit-learn's digits (a cached action), compiled it int8 for
the board's NPU, calibrated on the training split, and evaluated it on the 450 held-out digits
(tools/accuracy). It also runs the shown digit through the whole
program in the host executor_runner, its NPU part on the functional Ethos-U55/U85 model
(bit-accurate, not cycle-accurate; no hardware, no FVP).
"""

from __future__ import annotations

import json
import pathlib
import tempfile
from collections.abc import Sequence

import numpy as np
import torch
from absl import app, flags

from examples.classify import describe_vela, print_runner_lines, run_runner
from examples.digits.digits_data import ascii_art

_BOARD = flags.DEFINE_string("board", None, "The board, as the example names it.", required=True)
_ACCURACY = flags.DEFINE_string("accuracy", None, "The arm_accuracy table as JSON.", required=True)
_ACCURACY_TEXT = flags.DEFINE_string("accuracy_text", None, "The same table as text.", required=True)
_REPORT = flags.DEFINE_string("report", None, "The program's compile report.", required=True)
_TEST_DATA = flags.DEFINE_string("test_data", None, "The held-out (inputs, labels), torch.save'd.", required=True)
_DIGIT = flags.DEFINE_integer("digit", 0, "Which held-out digit to show.", lower_bound=0)
_RUNNER = flags.DEFINE_string("runner", None, "executor_runner for the host, with the Ethos-U delegate.", required=True)
_PROGRAM = flags.DEFINE_string("program", None, "The compiled program.", required=True)


def main(argv: Sequence[str]) -> None:
    del argv
    result = json.loads(pathlib.Path(_ACCURACY.value).read_text())
    report = json.loads(pathlib.Path(_REPORT.value).read_text())
    inputs, labels = torch.load(_TEST_DATA.value, map_location="cpu", weights_only=True)
    if _DIGIT.value >= len(labels):
        raise app.UsageError(f"--digit must be below {len(labels)}, the number of held-out digits")
    print(f"{_BOARD.value}: a CNN trained on scikit-learn's handwritten digits (8x8, 10 classes), int8 for "
          f"{report['target']}, calibrated on the training split, evaluated on {len(labels)} held-out digits")
    print()
    print(pathlib.Path(_ACCURACY_TEXT.value).read_text(), end="")
    print()
    print(describe_vela(report))

    image = inputs[_DIGIT.value][0]
    label = int(labels[_DIGIT.value])
    print()
    print(f"held-out digit {_DIGIT.value} (labelled {label}):")
    print(ascii_art(image))
    for row in result["executors"]:
        print(f"  {row['executor']}: {row['top1_classes'][_DIGIT.value]}")
    with tempfile.TemporaryDirectory() as tmp:
        logits, log = run_runner(_RUNNER.value, _PROGRAM.value, image.numpy(), 1, pathlib.Path(tmp))
    print(f"  executor_runner here, now: {int(np.argmax(logits))}")
    print_runner_lines(log, "  ")


if __name__ == "__main__":
    app.run(main)
