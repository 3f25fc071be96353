"""record_expectations: Vela's estimates as measured (constants where they live), None without an NPU part."""

from __future__ import annotations

from absl.testing import absltest

from tools.coverage import record_expectations


class RecordExpectationsTest(absltest.TestCase):
    vela: dict[str, object] = {
        "total_cycles": 1003,
        "sram_bytes": 1000,
        "flash_bytes": 16,
        "on_chip_flash_bytes": 0,
        "vela_config": "Arm/vela.ini",
        "system_config": "Ethos_U55_High_End_Embedded",
        "memory_mode": "Shared_Sram",
    }
    report = {
        "non_delegated_operators": {
            "quantized_decomposed::quantize_per_tensor.out": 1,
            "aten::pow.Tensor_Scalar_out": 1,
        },
        "delegated_partitions": 1,
        "vela": vela,
    }

    def test_estimates_are_recorded_as_measured(self) -> None:
        cpu, cycles, sram, flash = record_expectations.expectation(self.report)
        self.assertEqual(cpu, ["aten::pow"])
        self.assertEqual((cycles, sram, flash), (1003, 1000, 16))

    def test_constants_in_sram_are_recorded_as_sram(self) -> None:
        vela = self.vela | {"memory_mode": "Sram_Only", "on_chip_flash_bytes": 16}
        _, _, sram, flash = record_expectations.expectation(self.report | {"vela": vela})
        self.assertEqual((sram, flash), (1016, 0))

    def test_no_npu_part_records_no_estimates(self) -> None:
        report = self.report | {"delegated_partitions": 0}
        self.assertEqual(record_expectations.expectation(report), (["aten::pow"], None, None, None))

    def test_targets_without_vela_get_placement_only(self) -> None:
        report: dict[str, object] = {"non_delegated_operators": {}, "vela": None, "delegated_partitions": 1}
        self.assertEqual(record_expectations.expectation(report), ([], None, None, None))

    def test_render_is_a_sorted_starlark_dict(self) -> None:
        text = record_expectations.render({"u85_b": ([], 100, 256, 256), "tosa_a": (["aten::pow"], None, None, None)})
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
