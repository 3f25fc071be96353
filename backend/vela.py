"""Vela: its configuration file, the hook that records each of its runs during lowering, and its CSV.

Vela's numbers come from the summary CSV Vela itself writes for every
delegated partition, `<vela dir>/output/out_summary_<system_config>.csv`
(columns cycles_npu, cycles_sram_access, cycles_dram_access,
cycles_on_chip_flash_access, cycles_off_chip_flash_access, cycles_total,
core_clock, sram/dram/on_chip_flash/off_chip_flash_memory_used in KiB). ExecuTorch
keeps none of them, so the call from ExecuTorch's Ethos-U backend into Vela is
wrapped (`VelaRuns`): each partition's Vela run gets a directory of ours, and
the exact TOSA flatbuffer handed to Vela is kept as an intermediate. That also
keeps the intermediates path out of the compile spec, which ExecuTorch would
otherwise embed in the .pte, so the program's bytes do not depend on it.
"""

from __future__ import annotations

import configparser
import contextlib
import csv
import hashlib
import io
import os
import pathlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

# ExecuTorch's default Vela configuration file, as Vela resolves it (relative to
# ethosu/config_files/ in the ethos-u-vela package).
DEFAULT_VELA_CONFIG = "Arm/vela.ini"


def vela_config_path(vela_config: str) -> pathlib.Path:
    """The file Vela reads for --config=vela_config."""
    if vela_config == DEFAULT_VELA_CONFIG:
        from ethosu.vela import architecture_features

        return pathlib.Path(architecture_features.CONFIG_FILES_PATH, vela_config)
    return pathlib.Path(vela_config)


def vela_config_argument(path: str) -> str:
    """A user's vela.ini path as Vela must see it.

    Vela reads a relative path of exactly two parts ("dir/x.ini") as a file in
    its own config_files/; a leading "./" makes it a path. The path stays
    relative so that the flag ExecuTorch embeds in the .pte does not depend on
    the working directory (e.g. Bazel's sandbox).
    """
    if os.path.isabs(path) or path.startswith("."):
        return path
    return "./" + path


def ini_sections(path: pathlib.Path) -> set[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(path)
    return set(parser.sections())


@dataclass
class VelaRun:
    """One Vela invocation: its input TOSA, its output stream and its summary CSV row."""

    tosa: bytes
    processed_bytes: bytes
    summary: dict[str, str]
    directory: pathlib.Path


@dataclass
class VelaRuns:
    """Records every Vela run of ExecuTorch's Ethos-U backend during lowering.

    ExecuTorch calls arm_vela.vela_compile once per delegated partition and
    discards Vela's output directory. The wrapper runs the same call (same
    flags, same TOSA bytes) in a directory of ours, with
    --verbose-performance added so Vela also writes its per-layer CSV (an
    output-only flag), and captures Vela's console summary into vela.log.
    """

    workdir: pathlib.Path
    runs: list[VelaRun] = field(default_factory=list)

    @contextlib.contextmanager
    def recording(self) -> Iterator[None]:
        from executorch.backends.arm.ethosu import backend

        original = backend.vela_compile

        def vela_compile(tosa_flatbuffer: bytes, args: list[str], *rest: Any, **kwargs: Any) -> Any:
            directory = self.workdir / f"vela_run{len(self.runs)}"
            directory.mkdir(parents=True)
            kwargs["intermediate_path"] = str(directory)
            kwargs["verbose"] = False
            console = io.StringIO()
            with contextlib.redirect_stdout(console):
                result = original(tosa_flatbuffer, [*args, "--verbose-performance"], *rest, **kwargs)
            (directory / "vela.log").write_text(console.getvalue())
            summaries = sorted((directory / "output").glob("*_summary_*.csv"))
            if len(summaries) != 1:
                raise RuntimeError(f"expected one Vela summary CSV in {directory}/output, got {summaries}")
            with summaries[0].open(newline="") as stream:
                rows = list(csv.DictReader(stream))
            self.runs.append(VelaRun(tosa_flatbuffer, result.processed_bytes, rows[0], directory))
            return result

        backend.vela_compile = vela_compile
        try:
            yield
        finally:
            backend.vela_compile = original


def _number(row: dict[str, str], column: str) -> float:
    value = row.get(column)
    if value in (None, ""):
        raise KeyError(f"Vela summary has no column {column!r}")
    return float(value)


# Report key → Vela summary CSV column (Vela 5.x, stats_writer.write_summary_metrics_csv_common).
_VELA_CYCLES = {
    "npu_cycles": "cycles_npu",
    "sram_access_cycles": "cycles_sram_access",
    "dram_access_cycles": "cycles_dram_access",
    "on_chip_flash_access_cycles": "cycles_on_chip_flash_access",
    "off_chip_flash_access_cycles": "cycles_off_chip_flash_access",
    "total_cycles": "cycles_total",
}
# Memory use, which Vela writes in KiB.
_VELA_MEMORY_KIB = {
    "sram_bytes": "sram_memory_used",
    "dram_bytes": "dram_memory_used",
    "on_chip_flash_bytes": "on_chip_flash_memory_used",
    "off_chip_flash_bytes": "off_chip_flash_memory_used",
}


def vela_partition_estimates(row: dict[str, str]) -> dict[str, Any]:
    """One partition's numbers from its Vela summary CSV row."""
    estimates: dict[str, Any] = {key: int(_number(row, col)) for key, col in _VELA_CYCLES.items()}
    estimates |= {key: round(_number(row, col) * 1024) for key, col in _VELA_MEMORY_KIB.items()}
    estimates["core_clock_hz"] = int(_number(row, "core_clock"))
    estimates["weights_storage_area"] = row.get("weights_storage_area")
    estimates["feature_map_storage_area"] = row.get("feature_map_storage_area")
    return estimates


def vela_estimates(runs: Sequence[dict[str, str]], vela_config: str) -> dict[str, Any]:
    """The report's vela section: per-partition numbers and their sums.

    Partitions run one after another and each keeps its own scratch and
    weights, so cycles and memory are summed. flash_bytes is everything
    outside SRAM (DRAM + on-chip + off-chip flash), where Vela places
    read-only data when the memory mode does not keep it in SRAM.
    """
    partitions = [vela_partition_estimates(row) for row in runs]
    clocks = {p["core_clock_hz"] for p in partitions}
    if len(clocks) > 1:
        raise RuntimeError(f"partitions compiled for different clocks: {sorted(clocks)}")
    clock = clocks.pop() if clocks else None
    totals: dict[str, Any] = {key: sum(p[key] for p in partitions) for key in [*_VELA_CYCLES, *_VELA_MEMORY_KIB]}
    totals["flash_bytes"] = totals["dram_bytes"] + totals["on_chip_flash_bytes"] + totals["off_chip_flash_bytes"]
    first = runs[0] if runs else {}
    return {
        **totals,
        "core_clock_hz": clock,
        "inference_seconds": totals["total_cycles"] / clock if clock else None,
        "accelerator": first.get("accelerator_configuration"),
        "system_config": first.get("system_config"),
        "memory_mode": first.get("memory_mode"),
        "vela_config": vela_config,
        "vela_ini_sha256": hashlib.sha256(vela_config_path(vela_config).read_bytes()).hexdigest(),
        "partitions": partitions,
        "source": "out_summary_<system_config>.csv written by Vela for each partition",
    }
