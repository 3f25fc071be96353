"""The budget check names every exceeded budget with the measured numbers."""

from __future__ import annotations

from absl.testing import absltest

from backend import budget


class BudgetTest(absltest.TestCase):
    vela = {"total_cycles": 5000, "sram_bytes": 2048, "flash_bytes": 0}

    def test_within_the_band(self) -> None:
        recorded = {"total_cycles": 5080, "sram_bytes": None, "flash_bytes": 0}
        self.assertEqual(budget.outside_band(self.vela, recorded, 0.02), [])

    def test_a_planted_regression_beyond_the_band_fails(self) -> None:
        # 3% more cycles than recorded: the 1.25 ceiling this replaced let 24% through.
        failures = budget.outside_band(self.vela, {"total_cycles": 4854, "sram_bytes": 2048}, 0.02)
        self.assertEqual(failures, ["total_cycles: 5,000 is +3.0% on the recorded 4,854 (allowed +2%)"])

    def test_an_improvement_beyond_the_band_fails_until_recorded(self) -> None:
        failures = budget.outside_band(self.vela, {"total_cycles": 5000, "sram_bytes": 2150}, 0.02)
        self.assertEqual(len(failures), 1)
        self.assertRegex(failures[0], r"sram_bytes: 2,048 improved -4\.7% on the recorded 2,150; record it")

    def test_flash_appearing_where_none_was_recorded_fails(self) -> None:
        failures = budget.outside_band(self.vela | {"flash_bytes": 16}, {"flash_bytes": 0}, 0.02)
        self.assertEqual(failures, ["flash_bytes: 16 is +inf% on the recorded 0 (allowed +2%)"])

    def test_missing_estimate_fails(self) -> None:
        self.assertEqual(budget.outside_band({}, {"flash_bytes": 1}, 0.02), ["flash_bytes: not in the report"])

    report = {
        "non_delegated_operators": {
            "quantized_decomposed::quantize_per_tensor.out": 2,
            "quantized_decomposed::dequantize_per_tensor.out": 1,
            "aten::log_softmax.int_out": 1,
        }
    }

    def test_boundary_casts_are_not_fallback(self) -> None:
        self.assertEqual(budget.fallback_operators(self.report), {"aten::log_softmax"})

    def test_declared_fallback_passes(self) -> None:
        self.assertEqual(budget.placement_mismatch(self.report, ["aten::log_softmax"]), [])

    def test_an_undeclared_fallback_and_a_newly_delegated_operator_fail(self) -> None:
        self.assertEqual(
            budget.placement_mismatch(self.report, ["aten::gelu"]),
            [
                "aten::log_softmax runs on the CPU (declared delegated)",
                "aten::gelu is delegated (declared CPU fallback)",
            ],
        )


if __name__ == "__main__":
    absltest.main()
