"""The report generator: pairing of timing files, ratios, missing values, ordering, escaping."""

from __future__ import annotations

import io
import json
import pathlib
import re
from typing import Any

from absl.testing import absltest
from PIL import Image

from tests.report import generate


def _report(model: str, target: str, vela: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "model": model,
        "target": target,
        "quantized": True,
        "delegated_partitions": 1,
        "delegated_operators": {"aten::add.Tensor": 1, "quantized_decomposed::quantize_per_tensor": 3},
        "non_delegated_operators": {"quantized_decomposed::quantize_per_tensor.out": 2, "aten::sort": 1},
        "program_bytes": 3456,
        "versions": {"executorch": "1.5.1"},
        "vela": vela,
    }


_VELA = {
    "total_cycles": 3072,
    "npu_cycles": 2000,
    "inference_seconds": 6.1e-06,
    "sram_bytes": 4096,
    "flash_bytes": 0,
    "system_config": "Ethos_U55_High_End_Embedded",
}


class GenerateTest(absltest.TestCase):
    def write(self, name: str, content: dict[str, Any]) -> str:
        path = pathlib.Path(self.create_tempdir().full_path, name)
        path.write_text(json.dumps(content))
        return str(path)

    def test_timing_is_paired_by_name_and_optional(self) -> None:
        programs = generate.load_programs(
            [
                self.write("u55_add.report.json", _report("add", "ethos-u55-128", _VELA)),
                self.write("tosa_add.report.json", _report("add", "TOSA-1.0+INT")),
            ],
            [self.write("u55_add.timing.json", {"compile_seconds": 12.5})],
        )
        self.assertEqual([(p.name, p.compile_seconds) for p in programs], [("u55_add", 12.5), ("tosa_add", None)])

    def test_timing_without_report_is_an_error(self) -> None:
        with self.assertRaisesRegex(generate.ReportError, "timing files without a report: u85_add"):
            generate.load_programs(
                [self.write("u55_add.report.json", _report("add", "ethos-u55-128", _VELA))],
                [self.write("u85_add.timing.json", {"compile_seconds": 1.0})],
            )

    def test_not_a_report_names_the_file(self) -> None:
        path = self.write("x.report.json", {"model": "add"})
        with self.assertRaisesRegex(generate.ReportError, "x.report.json: not an arm_compile report"):
            generate.load_programs([path], [])

    def test_delegation_counts_every_operator(self) -> None:
        program = generate.load_program(pathlib.Path(self.write("a.report.json", _report("add", "vgf"))), None)
        self.assertEqual(program.delegated_operators, 4)
        self.assertAlmostEqual(program.delegation or 0, 4 / 7)

    def test_targets_in_family_order(self) -> None:
        targets = ["vgf", "TOSA-1.0+FP", "ethos-u85-256", "TOSA-1.0+INT", "ethos-u55-128", "ethos-u55-64", "cpu"]
        self.assertEqual(
            sorted(targets, key=generate.target_key),
            ["ethos-u55-64", "ethos-u55-128", "ethos-u85-256", "TOSA-1.0+INT", "TOSA-1.0+FP", "vgf", "cpu"],
        )

    def test_page_rows_missing_values_and_escaping(self) -> None:
        programs = generate.load_programs(
            [
                self.write("a.report.json", _report("<b>add</b>", "ethos-u55-128", _VELA)),
                self.write("b.report.json", _report("<b>add</b>", "TOSA-1.0+INT")),
            ],
            [],
        )
        page = generate.render_html(programs, generate.render_chart(programs), "t")
        self.assertNotIn("<b>add</b>", page)
        self.assertIn("&lt;b&gt;add&lt;/b&gt;", page)
        rows = re.findall(r"<tr data-name=.*?</tr>", page, re.S)
        self.assertEqual(len(rows), 2)
        self.assertIn("3,072", rows[0])
        self.assertIn("6.1 µs", rows[0])
        # TOSA: no Vela estimates; neither has a compile time.
        self.assertEqual(rows[1].count("—"), 5)
        # Real fallbacks and boundary (de)quantize are told apart.
        self.assertIn('<span class="op">aten::sort&nbsp;×1</span>', rows[0])
        self.assertIn('<span class="op io">quantized_decomposed::quantize_per_tensor.out&nbsp;×2</span>', rows[0])
        self.assertNotRegex(page, r"(src|href)=\"(https?:|//)")

    def test_accuracy_tables_one_row_per_executor(self) -> None:
        programs = generate.load_programs([self.write("a.report.json", _report("add", "ethos-u55-128", _VELA))], [])

        def table(calibration: str | None) -> dict[str, Any]:
            executors = [
                {"executor": "float PyTorch", "samples": 450, "top1": 0.984, "top5": 1.0,
                 "agrees_with_float_top1": 1.0, "logits_sqnr_db": None},
                {"executor": "<i>quantized</i> PyTorch", "samples": 450, "top1": 0.9777, "top5": 1.0,
                 "agrees_with_float_top1": 0.99, "logits_sqnr_db": 21.04},
            ]
            return {"model": "digits", "target": "TOSA-1.0+INT", "quantized": True, "calibration_data": calibration,
                    "dataset": {"samples": 450, "sha256": "0" * 64}, "executors": executors}

        tables = generate.load_accuracy(
            [self.write("split.json", table("sha256:" + "ab" * 32)), self.write("one.json", table(None))]
        )
        page = generate.render_html(programs, generate.render_chart(programs), "t", tables)
        rows = re.findall(r"<tr data-model=\"digits\".*?</tr>", page, re.S)
        self.assertEqual(len(rows), 4)
        self.assertIn('<td class="num top1">98.40%</td>', rows[0])
        self.assertIn("21.0 dB", rows[1])
        self.assertIn("—", rows[0])  # float against itself: no noise
        self.assertNotIn("<i>quantized</i>", page)
        # Which calibration each table had, so the two are told apart.
        self.assertIn("calibration data (sha256:abababababab…)", rows[0])
        self.assertIn("its example inputs", rows[2])

    def test_not_an_accuracy_table_names_the_file(self) -> None:
        path = self.write("x.json", {"model": "m"})
        with self.assertRaisesRegex(generate.ReportError, "x.json: not an accuracy table"):
            generate.load_accuracy([path])

    def test_ethos_u_model_column_per_program(self) -> None:
        programs = generate.load_programs(
            [
                self.write("u55_add.report.json", _report("add", "ethos-u55-128", _VELA)),
                self.write("u55_mul.report.json", _report("mul", "ethos-u55-128", _VELA)),
                self.write("u85_add.report.json", _report("add", "ethos-u85-256", _VELA)),
            ],
            [],
            generate.parse_npu_steps(["u55_add=0", "u55_mul=3"]),
        )
        page = generate.render_html(programs, generate.render_chart(programs), "t")
        self.assertIn("<th>executed on the Ethos-U model</th>", page)
        cells = {
            name: re.findall(r'<td class="num npu[^"]*">([^<]*)</td>', row)
            for name, row in re.findall(r'<tr data-name="([^"]*)"(.*?)</tr>', page, re.S)
        }
        self.assertEqual(cells, {"u55_add": ["bit-exact"], "u55_mul": ["±3 steps"], "u85_add": ["not run"]})
        self.assertEqual(generate.npu_cell_text(1), "±1 step")

    def test_ethos_u_model_result_without_report_or_number_is_an_error(self) -> None:
        report = self.write("u55_add.report.json", _report("add", "ethos-u55-128", _VELA))
        with self.assertRaisesRegex(generate.ReportError, "Ethos-U model results without a report: u55_mul"):
            generate.load_programs([report], [], {"u55_mul": 0})
        with self.assertRaisesRegex(generate.ReportError, "--npu_steps=u55_add=x: expected"):
            generate.parse_npu_steps(["u55_add=x"])

    def test_int16_and_clashing_programs_get_rows_of_their_own(self) -> None:
        int16 = {**_report("conv2d", "ethos-u55-128", _VELA), "activations": "int16"}
        programs = generate.load_programs(
            [
                self.write("u55_conv2d.report.json", _report("conv2d", "ethos-u55-128", _VELA)),
                self.write("u55_conv2d_int16.report.json", int16),
                self.write("u85_conv2d_a.report.json", _report("conv2d", "ethos-u85-256", _VELA)),
                self.write("u85_conv2d_b.report.json", _report("conv2d", "ethos-u85-256", _VELA)),
            ],
            [],
        )
        self.assertEqual(
            [(p.row, p.target) for p in programs],
            [
                ("conv2d", "ethos-u55-128"),
                ("conv2d (int16)", "ethos-u55-128"),
                ("u85_conv2d_a", "ethos-u85-256"),
                ("u85_conv2d_b", "ethos-u85-256"),
            ],
        )
        page = generate.render_html(programs, generate.render_chart(programs), "t")
        self.assertEqual(page.count('<tr data-model="conv2d"><th>'), 4)

    def test_chart_draws_every_target_and_is_reproducible(self) -> None:
        programs = generate.load_programs(
            [
                self.write("a.report.json", _report("add", "ethos-u55-128", _VELA)),
                self.write("b.report.json", _report("add", "ethos-u85-256", _VELA)),
            ],
            [],
        )
        chart = generate.render_chart(programs)
        self.assertEqual(chart, generate.render_chart(programs))
        with Image.open(io.BytesIO(chart)) as image:
            pixels = {colour: count for count, colour in image.convert("RGB").getcolors(1 << 20) or []}
        # Both targets' bars for the one model: far more of each colour than
        # its 13 x 13 legend square.
        for colour in generate._SERIES[:2]:
            self.assertGreater(pixels.get(colour, 0), 1000, colour)


if __name__ == "__main__":
    absltest.main()
