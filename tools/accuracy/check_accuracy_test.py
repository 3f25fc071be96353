"""check_accuracy's bound on synthetic tables: 450 samples, float 443 correct."""

from __future__ import annotations

import unittest
from typing import Any

from tools.accuracy.check_accuracy import failures

SAMPLES = 450


def table(**top1_correct: int) -> dict[str, Any]:
    rows = [
        {"executor": name.replace("_", " "), "samples": SAMPLES, "top1": correct / SAMPLES}
        for name, correct in top1_correct.items()
    ]
    return {"dataset": {"samples": SAMPLES}, "executors": rows}


class CheckAccuracyTest(unittest.TestCase):
    def test_four_more_errors_are_within_one_point(self) -> None:
        self.assertEqual(failures(table(float_PyTorch=443, quantized_PyTorch=439), 1.0, []), [])

    def test_five_more_errors_exceed_one_point(self) -> None:
        (problem,) = failures(table(float_PyTorch=443, quantized_PyTorch=438), 1.0, [])
        self.assertIn("quantized PyTorch: top-1 97.33% is 1.11 points below", problem)

    def test_better_than_float_passes(self) -> None:
        self.assertEqual(failures(table(float_PyTorch=440, quantized_PyTorch=443), 1.0, []), [])

    def test_missing_executor_fails(self) -> None:
        (problem,) = failures(table(float_PyTorch=443), 1.0, ["executor_runner"])
        self.assertIn("executor_runner", problem)

    def test_partial_run_fails(self) -> None:
        result = table(float_PyTorch=443, quantized_PyTorch=443)
        result["executors"][1]["samples"] = 10
        (problem,) = failures(result, 1.0, [])
        self.assertIn("ran 10 of the 450 samples", problem)


if __name__ == "__main__":
    unittest.main()
