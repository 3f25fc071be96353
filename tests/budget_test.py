"""The budget check names every exceeded budget with the measured numbers."""

from __future__ import annotations

from absl.testing import absltest

from backend import budget


class BudgetTest(absltest.TestCase):
    vela = {"total_cycles": 5000, "sram_bytes": 2048, "flash_bytes": 0}

    def test_within_budget(self) -> None:
        self.assertEqual(budget.over_budget(self.vela, {"total_cycles": 5000, "sram_bytes": None}), [])

    def test_over_budget_names_the_numbers(self) -> None:
        failures = budget.over_budget(self.vela, {"total_cycles": 4000, "sram_bytes": 1024})
        self.assertEqual(
            failures,
            [
                "total_cycles: 5,000 exceeds the budget of 4,000 by 1,000",
                "sram_bytes: 2,048 exceeds the budget of 1,024 by 1,024",
            ],
        )

    def test_missing_estimate_fails(self) -> None:
        self.assertEqual(budget.over_budget({}, {"flash_bytes": 1}), ["flash_bytes: not in the report"])

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
