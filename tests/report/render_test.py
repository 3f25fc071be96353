"""coverage_report's page renders in a real browser: every program's row, the chart, no errors.

Opens report.html in the pinned headless Chromium (//toolchains/chromium) through
the DevTools protocol over a pipe, and saves a screenshot of the whole page as
report_screenshot.png in the test's undeclared outputs.
"""

from __future__ import annotations

import json
import os
import pathlib
import struct
import tempfile
from typing import Any, ClassVar

from absl import flags
from absl.testing import absltest

from toolchains.chromium.headless import Browser, Page

_CHROMIUM = flags.DEFINE_string("chromium", None, "The pinned Chromium's run wrapper.", required=True)
_HTML = flags.DEFINE_string("html", None, "report.html to open.", required=True)
_PNG = flags.DEFINE_string("png", None, "report.png, the chart the page embeds.", required=True)
_EXPECTED = flags.DEFINE_string(
    "expected", None, "JSON list of {label, model, name, npu_max_steps, target}.", required=True
)

_EXPECTED_ACCURACY = flags.DEFINE_string(
    "expected_accuracy", None, "JSON list of the accuracy tables' paths (tools/accuracy's JSON).", required=True
)

# Schemes a self-contained page may load: itself and its inline chart.
_LOCAL_SCHEMES = ("file:", "data:")


def _png_size(path: pathlib.Path) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    if header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG")
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def _npu_text(steps: int | None) -> str:
    if steps is None:
        return "not run"
    return "bit-exact" if steps == 0 else f"±{steps} step{'s' if steps > 1 else ''}"


class RenderTest(absltest.TestCase):
    browser: ClassVar[Browser]
    page: ClassVar[Page]
    expected: ClassVar[list[dict[str, Any]]]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.expected = json.loads(pathlib.Path(_EXPECTED.value).read_text())
        profile = pathlib.Path(os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp(), "chromium-profile")
        cls.browser = Browser(pathlib.Path(_CHROMIUM.value).absolute(), profile)
        try:
            cls.page = cls.browser.open(pathlib.Path(_HTML.value).absolute().as_uri())
        except BaseException:
            # tearDownClass does not run when setUpClass fails.
            cls.browser.close()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.close()
        super().tearDownClass()

    def evaluate(self, expression: str) -> Any:
        return self.page.evaluate(expression)

    def test_one_row_per_program(self) -> None:
        rows = self.evaluate(
            "[...document.querySelectorAll('#programs tbody tr')]"
            ".map(r => [r.dataset.model, r.dataset.target, r.cells.length])"
        )
        self.assertEqual(len(rows), len(self.expected))
        self.assertCountEqual([(m, t) for m, t, _ in rows], [(e["model"], e["target"]) for e in self.expected])
        header_cells = self.evaluate("document.querySelectorAll('#programs thead th').length")
        self.assertEqual({cells for _, _, cells in rows}, {header_cells})

    def test_ethos_u_model_column(self) -> None:
        # The recorded result of each program run on the functional Ethos-U55
        # model, in the last column of its row.
        cells = self.evaluate(
            "Object.fromEntries([...document.querySelectorAll('#programs tbody tr')]"
            ".map(r => [r.dataset.name, r.cells[r.cells.length - 1].textContent]))"
        )
        header = self.evaluate("[...document.querySelectorAll('#programs thead th')].pop().textContent")
        self.assertEqual(header, "executed on the Ethos-U model")
        self.assertEqual(cells, {e["name"]: _npu_text(e["npu_max_steps"]) for e in self.expected})

    def test_overview_has_every_model_and_target(self) -> None:
        models = self.evaluate("[...document.querySelectorAll('#overview tbody tr')].map(r => r.dataset.model)")
        targets = self.evaluate("[...document.querySelectorAll('#overview thead th')].slice(1).map(h => h.textContent)")
        # A model can have more than one row (e.g. int16 activations apart).
        self.assertEqual(set(models), {e["model"] for e in self.expected})
        self.assertCountEqual(targets, {e["target"] for e in self.expected})

    def test_accuracy_tables(self) -> None:
        # Every executor of every accuracy table in its own row, with the table's top-1.
        tables = [json.loads(pathlib.Path(path).read_text())
                  for path in json.loads(pathlib.Path(_EXPECTED_ACCURACY.value).read_text())]
        rows = self.evaluate(
            "[...document.querySelectorAll('#accuracy tbody tr')]"
            ".map(r => [r.dataset.model, r.dataset.target, r.dataset.executor, r.querySelector('.top1').textContent])"
        )
        self.assertEqual(
            rows,
            [[t["model"], t["target"], e["executor"], f"{e['top1']:.2%}"] for t in tables for e in t["executors"]],
        )

    def test_chart_loaded(self) -> None:
        chart = self.evaluate(
            "(() => { const i = document.getElementById('chart');"
            " return {complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}; })()"
        )
        self.assertTrue(chart["complete"])
        self.assertGreater(chart["width"], 0)
        # The page embeds the very chart the build wrote as report.png.
        self.assertEqual((chart["width"], chart["height"]), _png_size(pathlib.Path(_PNG.value)))

    def test_no_console_errors(self) -> None:
        self.assertEqual(self.page.problems(), [])

    def test_nothing_loaded_from_outside_the_page(self) -> None:
        requests = self.page.requests()
        self.assertTrue(requests)
        self.assertEqual([url for url in requests if not url.startswith(_LOCAL_SCHEMES)], [])

    def test_screenshot(self) -> None:
        png = self.page.screenshot()
        outputs = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
        if outputs:
            pathlib.Path(outputs, "report_screenshot.png").write_bytes(png)
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        self.assertGreater(len(png), 10_000, "a blank page would compress to almost nothing")


if __name__ == "__main__":
    absltest.main()
