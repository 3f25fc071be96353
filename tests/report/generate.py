"""Writes the compile report of many programs: report.html and its chart report.png.

  generate --report=a.report.json [--report=...] [--timing=a.timing.json ...] \
      [--npu_steps=a=0 ...] [--accuracy=a.json ...] --html=report.html --png=report.png

Inputs are arm_compile's `<name>.report.json` files (backend/compile.py) and,
optionally, its `<name>.timing.json` files ({"compile_seconds": s}), paired by
`<name>`, per `<name>` the largest difference recorded for the program on the
functional Ethos-U55/U85 model (tests/ethos_u/npu_expectations.bzl), and optionally
accuracy tables of programs on labelled data (tools/accuracy's JSON). The page is
self-contained (inline CSS, the chart as a data: URL, no scripts) so that it can
be mailed or archived as one file.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import html
import io
import json
import math
import pathlib
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from absl import app, flags
from PIL import Image, ImageDraw, ImageFont

_REPORTS = flags.DEFINE_multi_string("report", [], "An arm_compile <name>.report.json; repeat for each program.")
_TIMINGS = flags.DEFINE_multi_string(
    "timing", [], "An arm_compile <name>.timing.json (optional), matched to <name>.report.json."
)
_NPU_STEPS = flags.DEFINE_multi_string(
    "npu_steps",
    [],
    "<name>=<N>: the program <name> runs on the functional Ethos-U55/U85 model within N quantization steps of "
    "the TOSA reference model (0: bit-exact), as recorded and tested; repeat per program.",
)
_ACCURACY = flags.DEFINE_multi_string(
    "accuracy", [], "An arm_accuracy <name>.json (tools/accuracy): accuracy per executor; repeat per table."
)
_HTML = flags.DEFINE_string("html", "", "Where to write the HTML page (required).")
_PNG = flags.DEFINE_string("png", "", "Where to write the chart (required).")
_TITLE = flags.DEFINE_string("title", "ExecuTorch Arm compile report", "Page title.")

_REPORT_SUFFIX = ".report.json"
_TIMING_SUFFIX = ".timing.json"
_MISSING = "—"
_DEFAULT_ACTIVATIONS = ("int8", "float32")

# Columns of targets, in this order: Ethos-U by generation, then TOSA, VGF, CPU.
_TARGET_ORDER = ("ethos-u55", "ethos-u65", "ethos-u85", "TOSA-1.0+INT", "TOSA-1.0+FP", "vgf", "cpu")

# Quantize/dequantize kernels at the program's inputs and outputs stay on the CPU
# in every quantized program; they are shown apart from real operator fallbacks.
_BOUNDARY_PREFIX = "quantized_decomposed::"


class ReportError(Exception):
    """An input file is missing, unreadable or not what arm_compile writes."""


@dataclasses.dataclass(frozen=True)
class Program:
    """One compiled program: a row of the report."""

    name: str
    model: str
    target: str
    quantized: bool
    activations: str
    partitions: int
    delegated_operators: int
    cpu_operators: dict[str, int]
    program_bytes: int
    total_cycles: int | None
    npu_cycles: int | None
    inference_seconds: float | None
    sram_bytes: int | None
    flash_bytes: int | None
    system_config: str | None
    compile_seconds: float | None
    versions: dict[str, str]
    # The report's row: the model, with non-default activations (16A8W) apart.
    row: str
    # Largest difference on the functional Ethos-U55/U85 model, in quantization
    # steps; None: the program was not run on it.
    npu_steps: int | None = None

    @property
    def delegation(self) -> float | None:
        """Delegated operators / all operators, None for a program without any."""
        total = self.delegated_operators + sum(self.cpu_operators.values())
        return self.delegated_operators / total if total else None


def _name(path: pathlib.Path, suffix: str) -> str:
    return path.name[: -len(suffix)] if path.name.endswith(suffix) else path.stem


def _read_json(path: pathlib.Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ReportError(f"{path}: {error}") from error
    if not isinstance(data, dict):
        raise ReportError(f"{path}: not a JSON object")
    return data


def load_program(report_path: pathlib.Path, timing_path: pathlib.Path | None) -> Program:
    """Reads one report (and its timing file, if any)."""
    report = _read_json(report_path)
    try:
        vela = report["vela"] or {}
        compile_seconds = None
        if timing_path is not None:
            compile_seconds = float(_read_json(timing_path)["compile_seconds"])
        model, quantized = str(report["model"]), bool(report["quantized"])
        activations = str(report.get("activations") or ("int8" if quantized else "float32"))
        return Program(
            name=_name(report_path, _REPORT_SUFFIX),
            model=model,
            target=str(report["target"]),
            quantized=quantized,
            activations=activations,
            partitions=int(report["delegated_partitions"]),
            delegated_operators=sum(int(n) for n in report["delegated_operators"].values()),
            cpu_operators={str(op): int(n) for op, n in report["non_delegated_operators"].items()},
            program_bytes=int(report["program_bytes"]),
            total_cycles=vela.get("total_cycles"),
            npu_cycles=vela.get("npu_cycles"),
            inference_seconds=vela.get("inference_seconds"),
            sram_bytes=vela.get("sram_bytes"),
            flash_bytes=vela.get("flash_bytes"),
            system_config=vela.get("system_config"),
            compile_seconds=compile_seconds,
            versions={str(k): str(v) for k, v in report.get("versions", {}).items()},
            row=model if activations in _DEFAULT_ACTIVATIONS else f"{model} ({activations})",
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ReportError(f"{report_path}: not an arm_compile report ({type(error).__name__}: {error})") from error


def parse_npu_steps(items: Sequence[str]) -> dict[str, int]:
    """{<name>: N} from --npu_steps=<name>=<N> items."""
    steps = {}
    for item in items:
        name, _, value = item.partition("=")
        if not name or not value.isdigit():
            raise ReportError(f"--npu_steps={item}: expected <program name>=<steps>")
        steps[name] = int(value)
    return steps


def load_programs(
    reports: Sequence[str], timings: Sequence[str], npu_steps: Mapping[str, int] | None = None
) -> list[Program]:
    """Pairs <name>.timing.json and npu_steps[<name>] with <name>.report.json; sorted by row, then target."""
    timing_by_name = {_name(pathlib.Path(t), _TIMING_SUFFIX): pathlib.Path(t) for t in timings}
    report_names = {_name(pathlib.Path(r), _REPORT_SUFFIX) for r in reports}
    npu_steps = npu_steps or {}
    orphans = sorted(set(timing_by_name) - report_names)
    if orphans:
        raise ReportError(f"timing files without a report: {', '.join(orphans)}")
    orphans = sorted(set(npu_steps) - report_names)
    if orphans:
        raise ReportError(f"Ethos-U model results without a report: {', '.join(orphans)}")
    programs = []
    for report in reports:
        name = _name(pathlib.Path(report), _REPORT_SUFFIX)
        program = load_program(pathlib.Path(report), timing_by_name.get(name))
        programs.append(dataclasses.replace(program, npu_steps=npu_steps.get(name)))
    # Programs that would share a cell (same row and target, other options
    # differ) get a row of their own, named after the program.
    cells = collections.Counter((p.row, p.target) for p in programs)
    programs = [dataclasses.replace(p, row=p.name) if cells[p.row, p.target] > 1 else p for p in programs]
    return sorted(programs, key=lambda p: (p.row, target_key(p.target), p.name))


def load_accuracy(paths: Sequence[str]) -> list[dict[str, Any]]:
    """tools/accuracy's tables, in the given order; raises ReportError for a file that is not one."""
    tables = []
    for path in paths:
        table = _read_json(pathlib.Path(path))
        if not isinstance(table.get("executors"), list) or not {"model", "target", "dataset"} <= table.keys():
            raise ReportError(f"{path}: not an accuracy table (tools/accuracy's JSON)")
        tables.append(table)
    return tables


def calibration_text(table: Mapping[str, Any]) -> str:
    """What a quantized program was calibrated on, as the accuracy table records it."""
    if not table.get("quantized", True):
        return "float: not calibrated"
    data = table.get("calibration_data")
    return "its example inputs" if data is None else f"calibration data ({str(data)[:19]}…)"


def target_key(target: str) -> tuple[int, str]:
    """Sort key: the _TARGET_ORDER family, then the name (ethos-u55-64 < ethos-u55-128)."""
    for rank, prefix in enumerate(_TARGET_ORDER):
        if target.startswith(prefix):
            digits = target[len(prefix) :].lstrip("-")
            return rank, digits.zfill(6) if digits.isdigit() else target
    return len(_TARGET_ORDER), target


def _targets(programs: Iterable[Program]) -> list[str]:
    return sorted({p.target for p in programs}, key=target_key)


def _rows(programs: Iterable[Program]) -> list[str]:
    return sorted({p.row for p in programs})


# Red (nothing delegated), yellow, green (everything delegated): ColorBrewer RdYlGn.
_SCALE = ((0.0, (215, 48, 39)), (0.5, (254, 224, 139)), (1.0, (26, 152, 80)))


def delegation_colour(ratio: float) -> tuple[int, int, int]:
    """The colour of a delegation ratio in [0, 1], shared by the page and the chart."""
    for (lo, c0), (hi, c1) in zip(_SCALE, _SCALE[1:], strict=False):
        if ratio <= hi:
            t = (ratio - lo) / (hi - lo)
            return (
                round(c0[0] + (c1[0] - c0[0]) * t),
                round(c0[1] + (c1[1] - c0[1]) * t),
                round(c0[2] + (c1[2] - c0[2]) * t),
            )
    return _SCALE[-1][1]


# One colour per target in the cycle bars, in _targets order (Okabe-Ito, colour-blind safe).
_SERIES = ((0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233), (213, 94, 0), (0, 0, 0))


def _hex(colour: tuple[int, int, int]) -> str:
    red, green, blue = colour
    return f"#{red:02x}{green:02x}{blue:02x}"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's embedded font: the chart looks the same on every machine.
    return ImageFont.load_default(size=size)


def render_chart(programs: Sequence[Program]) -> bytes:
    """PNG: delegation ratio per model and target (left), Vela's cycles per Ethos-U target (right)."""
    rows, targets = _rows(programs), _targets(programs)
    by_key = {(p.row, p.target): p for p in programs}
    npu_targets = [t for t in targets if any(p.total_cycles for p in programs if p.target == t)]
    font, small, tiny, bold = _font(13), _font(11), _font(9), _font(15)

    row, cell, bar_width = 26, 86, 420
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    label_width = max([measure.textlength(m, font=font) for m in rows] + [60]) + 16
    top = 78
    heat_left = label_width
    bars_left = heat_left + cell * len(targets) + 40
    width = int(bars_left + bar_width + 90)  # room for the last bar's label
    height = top + row * len(rows) + 64
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)

    draw.text((12, 10), "Operators delegated to the accelerator", font=bold, fill="black")
    draw.text((bars_left, 10), "Vela estimate: total cycles per inference (log scale)", font=bold, fill="black")
    for column, target in enumerate(targets):
        x = heat_left + column * cell + cell / 2
        draw.text((x, top - 8), target, font=small, fill="black", anchor="md")

    for index, label in enumerate(rows):
        y = top + index * row
        draw.text((label_width - 8, y + row / 2), label, font=font, fill="black", anchor="rm")
        for column, target in enumerate(targets):
            x = heat_left + column * cell
            program = by_key.get((label, target))
            box = (x + 1, y + 1, x + cell - 1, y + row - 1)
            ratio = program.delegation if program else None
            if ratio is None:
                # Left blank: Pillow's embedded font has no dash to write.
                draw.rectangle(box, fill=(240, 240, 240))
                continue
            draw.rectangle(box, fill=delegation_colour(ratio))
            draw.text((x + cell / 2, y + row / 2), f"{ratio:.0%}", font=font, fill="black", anchor="mm")

    cycles = [by_key[m, t].total_cycles or 0 for m in rows for t in npu_targets if (m, t) in by_key]
    cycles = [c for c in cycles if c > 0]
    if not cycles:
        draw.text((bars_left, top), "no Ethos-U programs", font=font, fill=(120, 120, 120))
    else:
        low = 10 ** math.floor(math.log10(min(cycles)))
        high = 10 ** math.ceil(math.log10(max(cycles)))
        if high == low:
            high *= 10
        span = math.log10(high) - math.log10(low)

        def x_of(value: float) -> float:
            return bars_left + bar_width * (math.log10(value) - math.log10(low)) / span

        bottom = top + row * len(rows)
        decade = low
        while decade <= high:
            x = x_of(decade)
            draw.line((x, top, x, bottom), fill=(225, 225, 225))
            draw.text((x, bottom + 4), _si(decade), font=small, fill="black", anchor="ma")
            decade *= 10
        thickness = max(3, (row - 6) // len(npu_targets))
        for index, label in enumerate(rows):
            first_bar = top + index * row + (row - thickness * len(npu_targets)) / 2
            for series, target in enumerate(npu_targets):
                program = by_key.get((label, target))
                if program and program.total_cycles:
                    y0 = first_bar + series * thickness
                    colour = _SERIES[series % len(_SERIES)]
                    end = x_of(program.total_cycles)
                    draw.rectangle((bars_left, y0, end, y0 + thickness - 1), fill=colour)
                    value = f"{program.total_cycles:,}"
                    draw.text((end + 4, y0 + thickness / 2), value, font=tiny, fill=(60, 60, 60), anchor="lm")
        legend_x = bars_left
        for series, target in enumerate(npu_targets):
            draw.rectangle((legend_x, bottom + 26, legend_x + 12, bottom + 38), fill=_SERIES[series % len(_SERIES)])
            draw.text((legend_x + 16, bottom + 32), target, font=small, fill="black", anchor="lm")
            legend_x += 24 + draw.textlength(target, font=small)

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _si(value: float) -> str:
    for factor, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= factor:
            return f"{value / factor:g}{unit}"
    return f"{value:g}"


def _bytes(value: int | None) -> str:
    if value is None:
        return _MISSING
    if value < 10 * 1024:
        return f"{value:,} B"
    if value < 10 * 1024 * 1024:
        return f"{value / 1024:,.1f} KiB"
    return f"{value / (1024 * 1024):,.1f} MiB"


def _seconds(value: float | None) -> str:
    if value is None:
        return _MISSING
    if value < 1e-3:
        return f"{value * 1e6:,.1f} µs"
    if value < 1:
        return f"{value * 1e3:,.2f} ms"
    return f"{value:,.1f} s"


def _count(value: int | None) -> str:
    return _MISSING if value is None else f"{value:,}"


def _cpu_cell(program: Program) -> str:
    if not program.cpu_operators:
        return '<span class="none">none</span>'
    items = []
    for op, count in sorted(program.cpu_operators.items()):
        css = "op io" if op.startswith(_BOUNDARY_PREFIX) else "op"
        items.append(f'<span class="{css}">{html.escape(op)}&nbsp;×{count}</span>')
    return " ".join(items)


def npu_cell_text(steps: int | None) -> str:
    """The Ethos-U model column: bit-exact, ±N steps or not run."""
    if steps is None:
        return "not run"
    return "bit-exact" if steps == 0 else f"±{steps} step{'s' if steps > 1 else ''}"


def _npu_cell(steps: int | None) -> str:
    css = "npu exact" if steps == 0 else "npu missing" if steps is None else "npu"
    return f'<td class="num {css}">{npu_cell_text(steps)}</td>'


def _ratio_cell(ratio: float | None, detail: str) -> str:
    if ratio is None:
        return f'<td class="num missing">{_MISSING}</td>'
    colour = _hex(delegation_colour(ratio))
    return f'<td class="num ratio" style="background:{colour}" title="{html.escape(detail)}">{ratio:.0%}</td>'


_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1b1b1b; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
p.meta { color: #555; margin: 0 0 4px; }
table { border-collapse: collapse; margin: 4px 0 12px; }
th, td { border: 1px solid #d0d0d0; padding: 4px 8px; vertical-align: top; }
th { background: #f2f2f2; text-align: left; white-space: nowrap; }
thead th { position: sticky; top: 0; }
td.name { white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.ratio { text-align: center; font-weight: 600; }
td.missing { color: #999; text-align: center; }
td.npu { text-align: center; }
td.npu.exact { color: #2a7; }
span.op { display: inline-block; background: #fde2e1; border-radius: 3px; padding: 0 4px; margin: 1px 0;
  font: 12px ui-monospace, monospace; }
span.op.io { background: #ececec; color: #666; }
span.none { color: #2a7; }
img.chart { max-width: 100%; border: 1px solid #d0d0d0; }
footer { color: #666; font-size: 12px; margin-top: 24px; }
"""


def _accuracy_rows(tables: Sequence[Mapping[str, Any]]) -> list[str]:
    esc = html.escape
    out = []
    for table in tables:
        for row in table["executors"]:
            sqnr = _MISSING if row.get("logits_sqnr_db") is None else f"{row['logits_sqnr_db']:.1f} dB"
            out += [
                f'<tr data-model="{esc(str(table["model"]))}" data-target="{esc(str(table["target"]))}" '
                f'data-executor="{esc(str(row["executor"]))}">',
                f'<td class="name">{esc(str(table["model"]))}</td>',
                f'<td class="name">{esc(str(table["target"]))}</td>',
                f"<td>{esc(calibration_text(table))}</td>",
                f"<td>{esc(str(row['executor']))}</td>",
                f'<td class="num">{row["samples"]}</td>',
                f'<td class="num top1">{row["top1"]:.2%}</td>',
                f'<td class="num">{row["top5"]:.2%}</td>',
                f'<td class="num">{row["agrees_with_float_top1"]:.2%}</td>',
                f'<td class="num">{sqnr}</td>',
                "</tr>",
            ]
    return out


def render_html(
    programs: Sequence[Program], chart_png: bytes, title: str, accuracy: Sequence[Mapping[str, Any]] = ()
) -> str:
    """The page: summary, model × target matrix, chart, one row per program, accuracy tables."""
    rows, targets = _rows(programs), _targets(programs)
    by_key = {(p.row, p.target): p for p in programs}
    versions = sorted({f"{k} {v}" for p in programs for k, v in p.versions.items()})
    timed = sum(p.compile_seconds is not None for p in programs)
    esc = html.escape

    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Enforces self-containment: the browser refuses anything not inline.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">",
        f"<title>{esc(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">{len(programs)} programs: {len({p.model for p in programs})} models '
        f"on {len(targets)} targets. "
        f"Compile times for {timed} of {len(programs)}.</p>",
        f'<p class="meta">{esc(", ".join(versions)) or _MISSING}</p>',
        "<h2>Delegation by model and target</h2>",
        '<table id="overview"><thead><tr><th>model</th>',
        *(f"<th>{esc(t)}</th>" for t in targets),
        "</tr></thead><tbody>",
    ]
    for label in rows:
        model = next(p.model for p in programs if p.row == label)
        out.append(f'<tr data-model="{esc(model)}"><th>{esc(label)}</th>')
        for target in targets:
            program = by_key.get((label, target))
            if program is None:
                out.append(f'<td class="missing">{_MISSING}</td>')
            else:
                out.append(_ratio_cell(program.delegation, f"{program.name}: {program.partitions} partition(s)"))
        out.append("</tr>")
    out += [
        "</tbody></table>",
        "<h2>Chart</h2>",
        '<img id="chart" class="chart" alt="Delegation ratio and Vela cycle estimates per model and target" '
        f'src="data:image/png;base64,{base64.b64encode(chart_png).decode()}">',
        "<h2>Programs</h2>",
        '<table id="programs"><thead><tr>',
        *(
            f"<th>{h}</th>"
            for h in (
                "model",
                "target",
                "delegated ops",
                "partitions",
                "CPU operators",
                "NPU cycles",
                "est. latency",
                "SRAM",
                "flash / DRAM",
                "program",
                "compile time",
                "executed on the Ethos-U model",
            )
        ),
        "</tr></thead><tbody>",
    ]
    for p in programs:
        delegated = f"{p.delegated_operators} of {p.delegated_operators + sum(p.cpu_operators.values())} operators"
        cycles_title = f"NPU {_count(p.npu_cycles)} of {_count(p.total_cycles)} total cycles" if p.total_cycles else ""
        latency_title = f"at the core clock of {p.system_config}" if p.system_config else ""
        out += [
            f'<tr data-name="{esc(p.name)}" data-model="{esc(p.model)}" data-target="{esc(p.target)}">',
            f'<td class="name">{esc(p.row)}</td>',
            f'<td class="name">{esc(p.target)}{"" if p.quantized else " (float)"}</td>',
            _ratio_cell(p.delegation, delegated),
            f'<td class="num partitions">{p.partitions}</td>',
            f"<td>{_cpu_cell(p)}</td>",
            f'<td class="num" title="{esc(cycles_title)}">{_count(p.total_cycles)}</td>',
            f'<td class="num" title="{esc(latency_title)}">{_seconds(p.inference_seconds)}</td>',
            f'<td class="num">{_bytes(p.sram_bytes)}</td>',
            f'<td class="num">{_bytes(p.flash_bytes)}</td>',
            f'<td class="num">{_bytes(p.program_bytes)}</td>',
            f'<td class="num">{_seconds(p.compile_seconds)}</td>',
            _npu_cell(p.npu_steps),
            "</tr>",
        ]
    out.append("</tbody></table>")
    if accuracy:
        out += [
            "<h2>Accuracy on labelled data</h2>",
            '<table id="accuracy"><thead><tr>',
            *(
                f"<th>{h}</th>"
                for h in (
                    "model",
                    "target",
                    "calibrated on",
                    "executor",
                    "samples",
                    "top-1",
                    "top-5",
                    "same top-1 as float",
                    "logits SQNR",
                )
            ),
            "</tr></thead><tbody>",
            *_accuracy_rows(accuracy),
            "</tbody></table>",
        ]
    out += [
        "<footer>Delegated ops: operators in delegated partitions over all operators of the program. "
        'CPU operators: <span class="op">kernels</span> left to the CPU; '
        '<span class="op io">quantize/dequantize</span> at the program boundary stay there in every quantized '
        "program. NPU cycles, latency, SRAM and flash/DRAM are Vela's estimates (Ethos-U targets only), "
        "latency at the system configuration's core clock. Program: size of the .pte. "
        "Compile time: wall clock of the compile action, where recorded. "
        "Executed on the Ethos-U model: the program's delegated partitions, from the .pte's own bytes, on the "
        "functional Ethos-U55/U85 model (runtime/ethos_u) against the TOSA reference model on the same graph and "
        "inputs, the largest difference in output quantization steps as recorded in "
        "tests/ethos_u/npu_expectations.bzl and checked by //tests/ethos_u:u55_&lt;entry&gt;_npu and "
        "u85_&lt;entry&gt;_npu. "
        "Accuracy: top-1/top-5 on a labelled dataset per executor (tools/accuracy), the share of samples "
        "given float PyTorch's class, and the logits' signal-to-noise ratio against float PyTorch.</footer>",
        "</body></html>",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    # Checked here, not by required=True: the tests import this module without flags.
    if not _REPORTS.value or not _HTML.value or not _PNG.value:
        raise app.UsageError("--html, --png and at least one --report are required")
    try:
        programs = load_programs(_REPORTS.value, _TIMINGS.value, parse_npu_steps(_NPU_STEPS.value))
        accuracy = load_accuracy(_ACCURACY.value)
    except ReportError as error:
        print(f"generate: {error}", file=sys.stderr)
        return 1
    chart = render_chart(programs)
    pathlib.Path(_PNG.value).write_bytes(chart)
    pathlib.Path(_HTML.value).write_text(render_html(programs, chart, _TITLE.value, accuracy), encoding="utf-8")
    return 0


if __name__ == "__main__":
    app.run(main)
