"""record_expectations: budgets are the measured numbers x margin, rounded up; placement excludes casts."""

from __future__ import annotations

from absl.testing import absltest

from tools.coverage import record_expectations


class RecordExpectationsTest(absltest.TestCase):
    report = {
        "non_delegated_operators": {
            "quantized_decomposed::quantize_per_tensor.out": 1,
            "aten::pow.Tensor_Scalar_out": 1,
        },
        "vela": {"total_cycles": 1000, "sram_bytes": 1000, "flash_bytes": 0},
    }

    def test_budgets_round_up_above_the_measurement(self) -> None:
        cpu, cycles, sram, flash = record_expectations.expectation(self.report, 1.25)
        self.assertEqual(cpu, ["aten::pow"])
        self.assertEqual((cycles, sram, flash), (1300, 1280, 256))

    def test_targets_without_vela_get_placement_only(self) -> None:
        report: dict[str, object] = {"non_delegated_operators": {}, "vela": None}
        self.assertEqual(record_expectations.expectation(report, 1.25), ([], None, None, None))

    def test_render_is_a_sorted_starlark_dict(self) -> None:
        text = record_expectations.render(
            {"u85_b": ([], 100, 256, 256), "tosa_a": (["aten::pow"], None, None, None)}, 1.25
        )
        body = text[text.index("EXPECTATIONS") :]
        self.assertEqual(
            body,
            "EXPECTATIONS = {\n"
            '    "tosa_a": (["aten::pow"], None, None, None),\n'
            '    "u85_b": ([], 100, 256, 256),\n'
            "}\n",
        )


if __name__ == "__main__":
    absltest.main()
