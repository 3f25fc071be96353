"""Ahead-of-time compiler: a model from backend/models.py to an ExecuTorch program for Arm.

export → (int8 quantize) → partition and lower with ExecuTorch's Arm backend
(TOSA, then Vela for Ethos-U or the model converter for VGF) → .pte/.bpte, plus
a JSON report: what was delegated, Vela's own performance and memory estimates,
and the versions that produced the program.

Vela's numbers come from the summary CSV Vela itself writes for every
delegated partition, `<vela dir>/output/out_summary_<system_config>.csv`
(columns cycles_npu, cycles_sram_access, cycles_dram_access,
cycles_on_chip_flash_access, cycles_off_chip_flash_access, cycles_total,
core_clock, sram/dram/on_chip_flash/off_chip_flash_memory_used in KiB). ExecuTorch
keeps none of them, so the call from ExecuTorch's Ethos-U backend into Vela is
wrapped (`_VelaRuns`): each partition's Vela run gets a directory of ours, and
the exact TOSA flatbuffer handed to Vela is kept as an intermediate. That also
keeps the intermediates path out of the compile spec, which ExecuTorch would
otherwise embed in the .pte, so the program's bytes do not depend on it.

Usage:
  compile --model=add --target=ethos-u55-128 --output=add.pte \
      [--report=add.json] [--intermediates=DIR] [--bundleio --output=add.bpte] \
      [--[no]quantize] [--system_config=NAME] [--memory_mode=NAME] \
      [--vela_config=vela.ini] [--direct_drive] [--weights=state_dict.pt] \
      [--activations=int8|int16] [--calibration_data=samples.pt] [--etrecord=FILE] \
      [--timing=FILE]

With --intermediates, the lowered program is also evaluated (its CPU part in
PyTorch, each delegated partition on the TOSA reference model) and its outputs
are written to numerics/ next to PyTorch's, for the numerics check.
"""

from __future__ import annotations

import configparser
import contextlib
import csv
import hashlib
import importlib.metadata
import io
import json
import logging
import os
import pathlib
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from absl import app, flags

from backend import models

EXIT_USAGE = 2

# ExecuTorch's default Vela configuration file, as Vela resolves it (relative to
# ethosu/config_files/ in the ethos-u-vela package).
DEFAULT_VELA_CONFIG = "Arm/vela.ini"


@dataclass(frozen=True)
class Target:
    """Everything the compiler needs to know about one target, declared once in TARGETS."""

    kind: Literal["ethos-u", "tosa", "vgf", "cpu"]
    quantize_by_default: bool
    can_quantize: bool = True
    npu_config: str | None = None  # Vela --accelerator-config
    system_config: str | None = None  # default Vela system config (ExecuTorch's default)
    memory_mode: str | None = None  # default Vela memory mode (ExecuTorch's default)


# The one per-target table. System config and memory mode defaults are the ones
# EthosUCompileSpec picks when none is given (executorch 1.5.1,
# EthosUCompileSpec._default_system_config_and_memory_mode); we pass them
# explicitly so the table, not a library default, decides.
_U55, _U55_MEMORY = "Ethos_U55_High_End_Embedded", "Shared_Sram"
_U85, _U85_MEMORY = "Ethos_U85_SYS_DRAM_Mid", "Sram_Only"
TARGETS: dict[str, Target] = {
    # name: Target(kind, quantize by default, can quantize, NPU config, system config, memory mode)
    "ethos-u55-32": Target("ethos-u", True, True, "ethos-u55-32", _U55, _U55_MEMORY),
    "ethos-u55-64": Target("ethos-u", True, True, "ethos-u55-64", _U55, _U55_MEMORY),
    "ethos-u55-128": Target("ethos-u", True, True, "ethos-u55-128", _U55, _U55_MEMORY),
    "ethos-u55-256": Target("ethos-u", True, True, "ethos-u55-256", _U55, _U55_MEMORY),
    "ethos-u85-128": Target("ethos-u", True, True, "ethos-u85-128", _U85, _U85_MEMORY),
    "ethos-u85-256": Target("ethos-u", True, True, "ethos-u85-256", _U85, _U85_MEMORY),
    "ethos-u85-512": Target("ethos-u", True, True, "ethos-u85-512", _U85, _U85_MEMORY),
    "ethos-u85-1024": Target("ethos-u", True, True, "ethos-u85-1024", _U85, _U85_MEMORY),
    "ethos-u85-2048": Target("ethos-u", True, True, "ethos-u85-2048", _U85, _U85_MEMORY),
    "TOSA-1.0+INT": Target("tosa", True),
    "TOSA-1.0+FP": Target("tosa", False, can_quantize=False),
    # VGF lowers through TOSA-1.0+INT when quantized, TOSA-1.0+FP otherwise.
    "vgf": Target("vgf", True),
    # No delegate: every operator runs on ExecuTorch's CPU kernels (a Cortex-A
    # CPU such as Corstone-1000's, or the host).
    "cpu": Target("cpu", False, can_quantize=False),
}

_MODEL = flags.DEFINE_string("model", None, "Model name from backend/models.py.")
_TARGET = flags.DEFINE_string("target", None, f"One of: {', '.join(TARGETS)}.")
_QUANTIZE = flags.DEFINE_boolean("quantize", None, "Quantize to int8 (default: yes, except for TOSA-1.0+FP).")
_BUNDLEIO = flags.DEFINE_boolean("bundleio", False, "Write a .bpte bundling the example inputs and reference outputs.")
_OUTPUT = flags.DEFINE_string("output", None, "Path of the .pte (or .bpte with --bundleio).")
_REPORT = flags.DEFINE_string("report", None, "Path of the JSON report.")
_INTERMEDIATES = flags.DEFINE_string(
    "intermediates", None, "Directory for the TOSA flatbuffers, Vela's outputs and numerics data."
)
_SYSTEM_CONFIG = flags.DEFINE_string("system_config", None, "Vela system config (Ethos-U; default per target).")
_MEMORY_MODE = flags.DEFINE_string("memory_mode", None, "Vela memory mode (Ethos-U; default per target).")
_VELA_CONFIG = flags.DEFINE_string(
    "vela_config", None, "A vela.ini to use instead of ExecuTorch's (ethos-u-vela's Arm/vela.ini)."
)
_WEIGHTS = flags.DEFINE_string("weights", None, "A local state_dict file for the model.")
_ACTIVATIONS = flags.DEFINE_enum(
    "activations", "int8", ["int8", "int16"], "Quantized activation type (weights stay int8: int16 is 16A8W)."
)
_CALIBRATION_DATA = flags.DEFINE_string(
    "calibration_data",
    None,
    "A torch.save'd list of input tuples to calibrate the quantization on (default: the example inputs).",
)
_DIRECT_DRIVE = flags.DEFINE_boolean(
    "direct_drive", False, "Ethos-U85 direct drive: Vela's COP2 command format with separate I/O regions."
)
_ETRECORD = flags.DEFINE_string("etrecord", None, "Also write an ETRecord (for the Inspector) to this path.")
_TIMING = flags.DEFINE_string(
    "timing", None, 'Write {"compile_seconds": ...} here (kept out of the report, which is reproducible).'
)


class UsageError(Exception):
    """Bad input from the user: one line on stderr, exit status 2."""


@dataclass(frozen=True)
class Options:
    """One compile, fully resolved (defaults applied, paths checked)."""

    model: str
    target: str
    quantize: bool
    output: pathlib.Path
    intermediates: pathlib.Path | None = None
    weights: pathlib.Path | None = None
    bundleio: bool = False
    system_config: str | None = None
    memory_mode: str | None = None
    vela_config: str = DEFAULT_VELA_CONFIG  # as passed to Vela
    activations: str = "int8"
    calibration_data: pathlib.Path | None = None
    direct_drive: bool = False
    etrecord: pathlib.Path | None = None


def vela_config_path(vela_config: str) -> pathlib.Path:
    """The file Vela reads for --config=vela_config."""
    if vela_config == DEFAULT_VELA_CONFIG:
        from ethosu.vela import architecture_features

        return pathlib.Path(architecture_features.CONFIG_FILES_PATH, vela_config)
    return pathlib.Path(vela_config)


def _vela_config_argument(path: str) -> str:
    """A user's vela.ini path as Vela must see it.

    Vela reads a relative path of exactly two parts ("dir/x.ini") as a file in
    its own config_files/; a leading "./" makes it a path. The path stays
    relative so that the flag ExecuTorch embeds in the .pte does not depend on
    the working directory (e.g. Bazel's sandbox).
    """
    if os.path.isabs(path) or path.startswith("."):
        return path
    return "./" + path


def _ini_sections(path: pathlib.Path) -> set[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(path)
    return set(parser.sections())


def versions() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in ("torch", "executorch", "ethos-u-vela", "tosa-tools")}


def _compile_spec(options: Options) -> Any:
    """The Arm backend's compile spec; None for the CPU target (nothing is delegated)."""
    if TARGETS[options.target].kind == "cpu":
        return None
    target = TARGETS[options.target]
    if target.kind == "ethos-u":
        from executorch.backends.arm.ethosu import EthosUCompileSpec

        return EthosUCompileSpec(
            target.npu_config,
            system_config=options.system_config,
            memory_mode=options.memory_mode,
            # As ExecuTorch's aot_arm_compiler --direct_drive.
            extra_flags=["--separate-io-regions", "--cop-format=COP2"] if options.direct_drive else None,
            config_ini=options.vela_config,
        )
    from executorch.backends.arm.tosa import TosaSpecification

    int16 = "+int16" if options.quantize and options.activations == "int16" else ""
    if target.kind == "tosa":
        from executorch.backends.arm.tosa.compile_spec import (
            TosaCompileSpec,
        )

        return TosaCompileSpec(TosaSpecification.create_from_string(options.target + int16))
    from executorch.backends.arm.vgf import VgfCompileSpec

    tosa = "TOSA-1.0+INT" + int16 if options.quantize else "TOSA-1.0+FP"
    spec = VgfCompileSpec(TosaSpecification.create_from_string(tosa))
    if options.intermediates is not None:
        # The VGF delegate holds VGF, not TOSA: only ExecuTorch's own dump keeps
        # the TOSA. It embeds this path in the .pte.
        spec.dump_intermediate_artifacts_to(str(options.intermediates))
    return spec


@dataclass
class VelaRun:
    """One Vela invocation: its input TOSA, its output stream and its summary CSV row."""

    tosa: bytes
    processed_bytes: bytes
    summary: dict[str, str]
    directory: pathlib.Path


@dataclass
class _VelaRuns:
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


@contextlib.contextmanager
def partitioner_rejections() -> Iterator[dict[str, str]]:
    """Collects why the partitioner kept operators off the delegate: {operator: first reason}.

    ExecuTorch's partitioners report each rejected node to a
    WhyNoPartitionReporter, which only logs a table; this records the same
    calls for the report.
    """
    from executorch.exir.backend.utils import WhyNoPartitionReporter

    reasons: dict[str, str] = {}
    original = WhyNoPartitionReporter.report_reject

    def report_reject(self: Any, node: Any, reason: str) -> None:
        if node.op == "call_function":
            reasons.setdefault(base_name(op_name(node.target)), " ".join(reason.split()))
        original(self, node, reason)

    WhyNoPartitionReporter.report_reject = report_reject
    try:
        yield reasons
    finally:
        WhyNoPartitionReporter.report_reject = original


def base_name(operator: str) -> str:
    """'aten::median' for 'aten::median.dim_values': edge graphs and programs name overloads differently."""
    return operator.split(".")[0]


def missing_kernels(operators: Sequence[str]) -> list[str]:
    """The CPU operators that ExecuTorch's prebuilt CPU runtime (this wheel's kernels) cannot run."""
    from executorch.extension.pybindings import portable_lib

    available = set(portable_lib._get_operator_names())
    return sorted(op for op in operators if op not in available)


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


def op_name(target: Any) -> str:
    """'namespace::op.overload' for ATen/edge ops; the function name otherwise."""
    import torch

    overload = getattr(target, "_op", target)  # an edge op wraps the ATen overload
    if isinstance(overload, torch._ops.OpOverload):
        return str(overload.name())  # type: ignore[no-untyped-call]
    return str(getattr(target, "__name__", target))


def _dim_order(value: Any) -> list[int] | None:
    """The memory order of a tensor: the TOSA graph takes and gives tensors in it."""
    return [int(d) for d in value.dim_order()] if hasattr(value, "dim_order") else None


@dataclass
class Partition:
    """One delegated partition of the lowered program and the TOSA graph it was made from."""

    lowered: Any  # executorch.exir.lowered_backend_module.LoweredBackendModule
    input_dim_orders: list[list[int] | None]
    output_dim_orders: list[list[int] | None]
    vela: VelaRun | None = None
    tosa: bytes | None = None  # None: the delegate holds no TOSA (VGF) and none was dumped
    tosa_name: str = ""


def _is_delegate_call(node: Any) -> bool:
    return bool(node.op == "call_function" and "executorch_call_delegate" in op_name(node.target))


def delegated_partitions(exported: Any) -> list[Partition]:
    """Each delegated partition in program order, with the memory order of its inputs and outputs."""
    graph_module = exported.graph_module
    partitions = []
    for node in graph_module.graph.nodes:
        if not _is_delegate_call(node):
            continue
        values = node.meta.get("val")
        outputs = list(values) if isinstance(values, (tuple, list)) else [values]
        partitions.append(
            Partition(
                getattr(graph_module, node.args[0].target),
                [_dim_order(arg.meta.get("val")) for arg in node.args[1:]],
                [_dim_order(value) for value in outputs],
            )
        )
    return partitions


def delegated_operators(partitions: Sequence[Partition]) -> dict[str, int]:
    """Operators inside the delegated partitions (the edge graphs handed to the backend)."""
    counts: Counter[str] = Counter()
    for partition in partitions:
        for node in partition.lowered.original_module.graph_module.graph.nodes:
            # getitem only unpacks multi-output ops; it is not an operator.
            if node.op == "call_function" and op_name(node.target) != "getitem":
                counts[op_name(node.target)] += 1
    return dict(counts)


def cpu_operators(program: Any) -> dict[str, int]:
    """Kernel calls left to the CPU in the final ExecuTorch program."""
    counts: Counter[str] = Counter()
    for plan in program.executorch_program.execution_plan:
        for chain in plan.chains:
            for instruction in chain.instructions:
                op_index = getattr(instruction.instr_args, "op_index", None)
                if op_index is not None:  # a KernelCall; delegate calls have delegate_index
                    operator = plan.operators[op_index]
                    counts[f"{operator.name}.{operator.overload}" if operator.overload else operator.name] += 1
    return dict(counts)


def _match_vela_runs(partitions: Sequence[Partition], runs: Sequence[VelaRun]) -> None:
    """Pairs each partition with the Vela run that produced its delegate blob."""
    remaining = list(runs)
    for partition in partitions:
        match = next((r for r in remaining if r.processed_bytes == partition.lowered.processed_bytes), None)
        if match is None:
            raise RuntimeError("a delegated partition has no matching Vela run")
        remaining.remove(match)
        partition.vela = match
    if remaining:
        raise RuntimeError(f"{len(remaining)} Vela runs belong to no delegated partition")


class NumericsUnavailable(RuntimeError):
    """The lowered program cannot be evaluated here (a partition without TOSA)."""


def _tag_number(path: pathlib.Path) -> int:
    digits = "".join(ch for ch in path.name.removeprefix("output_tag").split("_")[0] if ch.isdigit())
    return int(digits) if digits else -1


def _attach_tosa(partitions: Sequence[Partition], tosa_spec: str, dump: pathlib.Path | None) -> None:
    """Finds the exact TOSA graph of each partition.

    For Ethos-U it is the flatbuffer Vela compiled; for TOSA targets the
    delegate blob itself. VGF delegates hold VGF: the TOSA comes from
    ExecuTorch's own dump (output_tag<i>_<spec>.tosa, or output_<spec>.tosa
    for an untagged single partition), paired with the partitions in tag
    order, which is their order in the graph.
    """
    dumped = sorted(dump.glob("output_*.tosa"), key=_tag_number) if dump is not None else []
    from_dump = partitions and all(p.vela is None and p.lowered.backend_id != "TOSABackend" for p in partitions)
    if from_dump and len(dumped) != len(partitions):
        names = [d.name for d in dumped]
        raise NumericsUnavailable(f"{len(partitions)} VGF partitions but TOSA dumps {names} in {dump}")
    for index, partition in enumerate(partitions):
        partition.tosa_name = f"output_tag{index}_{tosa_spec}.tosa"
        if partition.vela is not None:
            partition.tosa = partition.vela.tosa
        elif partition.lowered.backend_id == "TOSABackend":
            partition.tosa = partition.lowered.processed_bytes
        elif dumped:
            partition.tosa_name, partition.tosa = dumped[index].name, dumped[index].read_bytes()


def _memory_order(array: Any, dim_order: Sequence[int] | None) -> Any:
    import numpy as np

    if dim_order is None or list(dim_order) == list(range(array.ndim)):
        return np.ascontiguousarray(array)
    return np.ascontiguousarray(np.transpose(array, dim_order))


def _logical_order(array: Any, dim_order: Sequence[int] | None) -> Any:
    import numpy as np

    if dim_order is None or list(dim_order) == list(range(array.ndim)):
        return array
    return np.transpose(array, np.argsort(dim_order))


@dataclass
class DelegateCall:
    """What one delegate call was fed and gave, as the TOSA graph sees them (memory order)."""

    partition: int
    tosa: str  # the TOSA file's name in the intermediates
    inputs: list[Any]  # numpy arrays
    outputs: list[Any]


def run_tosa(graph: bytes, arrays: Sequence[Any], name: str) -> list[Any]:
    """One TOSA graph on the TOSA reference model; numpy arrays in memory order in and out."""
    import numpy as np
    import tosa_reference_model

    results, status = tosa_reference_model.run(graph, list(arrays))
    if status != tosa_reference_model.GraphStatus.TOSA_VALID:
        raise RuntimeError(f"the TOSA reference model did not run {name}: {status}")
    return [np.asarray(r) for r in results]


def lowered_outputs(
    exported: Any, partitions: Sequence[Partition], inputs: Sequence[Any]
) -> tuple[list[Any], list[DelegateCall]]:
    """The lowered program's outputs: its CPU part as ExecuTorch's edge operators in PyTorch, each
    delegated partition on the TOSA reference model from the exact graph the backend compiled.

    Whatever the partitioner left on the CPU (quantize/dequantize, fallback
    operators between partitions) runs as in the program, so this works for
    any partitioning, not only for a single delegate between I/O casts.
    Also returns each delegate call's TOSA-level inputs and outputs, which a
    delegate's own executor (e.g. VGF on a Vulkan device) must reproduce.
    """
    import numpy as np
    import torch

    by_blob = {bytes(p.lowered.processed_bytes): (i, p) for i, p in enumerate(partitions)}
    calls: list[DelegateCall] = []
    missing = [p.tosa_name for p in partitions if p.tosa is None]
    if missing:
        raise NumericsUnavailable(f"no TOSA graph for partitions {missing}")

    class TosaDelegates(torch.fx.Interpreter):
        def call_function(self, target: Any, args: Any, kwargs: Any) -> Any:
            if "executorch_call_delegate" not in op_name(target):
                return super().call_function(target, args, kwargs)
            index, partition = by_blob[bytes(args[0].processed_bytes)]
            assert partition.tosa is not None  # checked above
            arrays = [
                _memory_order(a.detach().numpy(), order)
                for a, order in zip(args[1:], partition.input_dim_orders, strict=True)
            ]
            results = run_tosa(partition.tosa, arrays, partition.tosa_name)
            calls.append(DelegateCall(index, partition.tosa_name, arrays, results))
            return tuple(
                torch.from_numpy(np.array(_logical_order(r, order)))
                for r, order in zip(results, partition.output_dim_orders, strict=True)
            )

    with torch.no_grad():
        results = TosaDelegates(exported.module()).run(*inputs)
    return _as_list(results), calls


def evaluate(
    module: Any, quantized: Any | None, lowered_program: Any, partitions: Sequence[Partition], model: str
) -> Evaluation:
    """The float model, the quantized model and the lowered program on the evaluation samples."""
    import torch

    seeds = list(models.EVALUATION_SEEDS)
    evaluation = Evaluation(
        seeds=seeds,
        eager=[],
        quantized=[] if quantized is not None else None,
        lowered=[],
        calls=[],
        partitions=len(partitions),
        quantization_points=quantization_points(quantized) if quantized is not None else 0,
    )
    for seed in seeds:
        sample = models.spec(model).sample_inputs(seed)
        with torch.no_grad():
            evaluation.eager.append(_as_list(module(*sample)))
            if evaluation.quantized is not None:
                evaluation.quantized.append(_as_list(quantized(*sample)))
        outputs, calls = lowered_outputs(lowered_program, partitions, sample)
        evaluation.lowered.append(outputs)
        evaluation.calls.append(calls)
    return evaluation


def _output_quantization(exported: Any) -> list[dict[str, Any] | None]:
    """For each program output, the dequantize it comes from (walking back over CPU operators
    with one tensor input), whose scale sets the output's tolerance; None for float programs."""
    graph = exported.graph_module.graph
    output_node = next(n for n in graph.nodes if n.op == "output")
    found: list[dict[str, Any] | None] = []
    for node in output_node.args[0]:
        entry = None
        while node is not None and getattr(node, "op", None) == "call_function":
            if "dequantize_per_tensor" in op_name(node.target):
                _, scale, zero_point, _, _, dtype = node.args[:6]
                entry = {"scale": float(scale), "zero_point": int(zero_point), "dtype": str(dtype).split(".")[-1]}
                break
            tensors = [a for a in node.args if hasattr(a, "op")]
            node = tensors[0] if len(tensors) == 1 else None
        found.append(entry)
    return found


@dataclass
class Evaluation:
    """The lowered program and its references on the evaluation samples, output by output."""

    seeds: list[int]
    eager: list[list[Any]]  # [sample][output] tensors
    quantized: list[list[Any]] | None
    lowered: list[list[Any]]
    calls: list[list[DelegateCall]]  # [sample][call]
    partitions: int
    quantization_points: int


def write_numerics(
    directory: pathlib.Path, evaluation: Evaluation, quantization: Sequence[dict[str, Any] | None]
) -> None:
    """numerics/: per output and reference one .npy stacking the evaluation samples (axis 0),
    the first sample's delegate calls at TOSA level (call<i>_{input,output}<j>.npy), and
    numerics.json describing them.

    np.save is byte-reproducible, unlike npz archives (zip timestamps).
    """
    import numpy as np

    folder = directory / "numerics"
    folder.mkdir(parents=True, exist_ok=True)
    first_calls = evaluation.calls[0]
    for number, call in enumerate(first_calls):
        for kind, tensors in (("input", call.inputs), ("output", call.outputs)):
            for index, array in enumerate(tensors):
                np.save(folder / f"call{number}_{kind}{index}.npy", array, allow_pickle=False)
    references = {"lowered": evaluation.lowered, "eager": evaluation.eager}
    if evaluation.quantized is not None:
        references["quantized"] = evaluation.quantized
    entries = []
    for index in range(len(evaluation.lowered[0])):
        for kind, samples in references.items():
            stacked = np.stack([sample[index].detach().numpy() for sample in samples])
            np.save(folder / f"{kind}_{index}.npy", stacked, allow_pickle=False)
        entries.append({"references": sorted(references), "quantization": quantization[index]})
    description = {
        "outputs": entries,
        "evaluation_seeds": evaluation.seeds,
        "delegated_partitions": evaluation.partitions,
        "delegate_calls_per_sample": [len(calls) for calls in evaluation.calls],
        "quantization_points": evaluation.quantization_points,
        "delegate_calls": [
            {"partition": c.partition, "tosa": c.tosa, "inputs": len(c.inputs), "outputs": len(c.outputs)}
            for c in first_calls
        ],
    }
    (folder / "numerics.json").write_text(json.dumps(description, indent=2, sort_keys=True) + "\n")


def _write_intermediates(directory: pathlib.Path, partitions: Sequence[Partition]) -> None:
    """The exact TOSA of each partition and Vela's logs and CSVs."""
    directory.mkdir(parents=True, exist_ok=True)
    for index, partition in enumerate(partitions):
        if partition.tosa is not None:
            (directory / partition.tosa_name).write_bytes(partition.tosa)
        if partition.vela is not None:
            vela_dir = directory / f"vela_partition{index}"
            shutil.rmtree(vela_dir, ignore_errors=True)
            vela_dir.mkdir()
            for item in [partition.vela.directory / "vela.log", *(partition.vela.directory / "output").glob("*.csv")]:
                shutil.copy(item, vela_dir / item.name)


def _file_digest(path: pathlib.Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _weights_digest(weights: pathlib.Path | None) -> str:
    """What the weights were: a local file's SHA256, or the registry's seeded ones."""
    if weights is None:
        return f"seeded (torch.manual_seed({models.SEED}))"
    return _file_digest(weights)


def _as_list(outputs: Any) -> list[Any]:
    return list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]


def _calibration_inputs(options: Options, example: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The input tuples to calibrate on: --calibration_data, checked against the example inputs,
    else the model's calibration samples (other seeds than the evaluation samples)."""
    import torch

    if options.calibration_data is None:
        sample_inputs = models.spec(options.model).sample_inputs
        return [sample_inputs(seed) for seed in models.CALIBRATION_SEEDS]
    data = torch.load(options.calibration_data, map_location="cpu", weights_only=True)
    samples = [tuple(sample) if isinstance(sample, (tuple, list)) else (sample,) for sample in data]
    expected = [tuple(t.shape) for t in example]
    for index, sample in enumerate(samples):
        shapes = [tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in sample]
        if shapes != expected:
            raise UsageError(
                f"--calibration_data {options.calibration_data}: sample {index} has inputs {shapes}, "
                f"the model takes {expected}"
            )
    if not samples:
        raise UsageError(f"--calibration_data {options.calibration_data} holds no samples")
    return samples


class CompileError(Exception):
    """The model cannot be compiled for the target; the message names the operator and why."""


def _lower(exported: Any, spec: Any, etrecord: bool) -> Any:
    """to_edge_transform_and_lower, with the failing operator named when lowering fails."""
    from executorch.backends.arm.util._factory import create_partitioner
    from executorch.exir import EdgeCompileConfig, to_edge_transform_and_lower

    try:
        return to_edge_transform_and_lower(
            exported,
            partitioner=[create_partitioner(spec)] if spec is not None else [],
            compile_config=EdgeCompileConfig(_check_ir_validity=False),
            generate_etrecord=etrecord,
        )
    except Exception as error:
        operators = sorted({op_name(n.target) for n in exported.graph.nodes if n.op == "call_function"})
        raise CompileError(
            f"lowering failed ({type(error).__name__}: {str(error).strip().splitlines()[0] if str(error) else ''}); "
            f"operators in the exported graph: {', '.join(operators)}"
        ) from error


def pin_torch_numerics() -> None:
    """Makes PyTorch's float results independent of the CPU, with the environment that
    backend/defs.bzl gives compile actions (CPU_INDEPENDENT_ENV: ATen's portable kernels,
    MKL's compatible code path, one thread).

    Calibration runs the float model: its quantization parameters, and so the
    program's bytes, inherit every rounding difference between CPUs. oneDNN
    and NNPACK pick kernels by the CPU's instruction set and caches, so
    convolutions go through ATen's own im2col + MKL GEMM instead; one thread
    fixes the order of every reduction.
    """
    import torch

    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = False
    torch.backends.nnpack.enabled = False


def quantization_points(module: Any) -> int:
    """Tensors the quantized model rounds (activations and weights): its dequantize nodes."""
    return sum(1 for n in module.graph.nodes if n.op == "call_function" and "dequantize_per" in op_name(n.target))


def compile_model(options: Options) -> dict[str, Any]:
    """Compiles options.model, writes the program (and intermediates); returns the report."""
    import torch  # slow: imported after the flags are checked
    from executorch.backends.arm.quantizer import (
        get_symmetric_a16w8_quantization_config,
        get_symmetric_quantization_config,
    )
    from executorch.backends.arm.util._factory import create_quantizer
    from executorch.exir import ExecutorchBackendConfig
    from torchao.quantization.pt2e.quantize_pt2e import (
        convert_pt2e,
        prepare_pt2e,
    )

    pin_torch_numerics()
    module, inputs = models.load_model(options.model, options.weights)
    try:
        exported = torch.export.export(module, inputs)
    except Exception as error:
        raise CompileError(f"torch.export failed: {type(error).__name__}: {error}") from error
    spec = _compile_spec(options)
    reference: Any = module
    if options.quantize:
        # As ExecuTorch's aot_arm_compiler: symmetric, per-channel int8
        # weights, calibrated on the model's calibration samples unless data is given.
        quantizer = create_quantizer(spec)
        config = (
            get_symmetric_a16w8_quantization_config(is_per_channel=True)
            if options.activations == "int16"
            else get_symmetric_quantization_config(is_per_channel=True)
        )
        quantizer.set_global(config)
        prepared = prepare_pt2e(exported.module(check_guards=False), quantizer)
        for sample in _calibration_inputs(options, inputs):
            prepared(*sample)
        reference = convert_pt2e(prepared)
        exported = torch.export.export(reference, inputs)

    with tempfile.TemporaryDirectory(prefix="vela-") as workdir:
        vela = _VelaRuns(pathlib.Path(workdir))
        with vela.recording(), partitioner_rejections() as rejections:
            edge = _lower(exported, spec, options.etrecord is not None)
        lowered_program = edge.exported_program()
        partitions = delegated_partitions(lowered_program)
        if TARGETS[options.target].kind == "ethos-u":
            _match_vela_runs(partitions, vela.runs)
        tosa_spec = str(spec.tosa_spec) if spec is not None else ""
        _attach_tosa(partitions, tosa_spec, options.intermediates)
        if options.intermediates is not None:
            _write_intermediates(options.intermediates, partitions)
            write_numerics(
                options.intermediates,
                evaluate(module, reference if options.quantize else None, lowered_program, partitions, options.model),
                _output_quantization(lowered_program),
            )
        # quantize/dequantize stay quantized_decomposed ops (the runtime links
        # ExecuTorch's quantized kernels), unlike aot_arm_compiler's cortex_m swap.
        program = edge.to_executorch(config=ExecutorchBackendConfig(extract_delegate_segments=False))
    on_cpu = cpu_operators(program)
    fallback_reasons = {
        op: rejections.get(base_name(op), "the target delegates nothing" if spec is None else "not partitioned")
        for op in on_cpu
        if "quantize_per_tensor" not in op
    }
    unrunnable = missing_kernels(list(on_cpu))
    if unrunnable:
        raise CompileError(
            "; ".join(
                f"{op} stays on the CPU ({fallback_reasons.get(op, 'not delegated')}) and ExecuTorch's CPU "
                "runtime has no kernel for it"
                for op in unrunnable
            )
        )

    options.output.parent.mkdir(parents=True, exist_ok=True)
    if options.bundleio:
        from executorch.devtools import BundledProgram
        from executorch.devtools.bundled_program.config import (
            MethodTestCase,
            MethodTestSuite,
        )
        from executorch.devtools.bundled_program.serialize import (
            serialize_from_bundled_program_to_flatbuffer,
        )

        # Reference outputs are the quantized PyTorch model's, as upstream's
        # --bundleio: what the program should compute, quantization included.
        with torch.no_grad():
            expected_outputs = _as_list(reference(*inputs))
        suite = MethodTestSuite(
            method_name="forward",
            test_cases=[MethodTestCase(inputs=list(inputs), expected_outputs=expected_outputs)],
        )
        options.output.write_bytes(serialize_from_bundled_program_to_flatbuffer(BundledProgram(program, [suite])))
    else:
        options.output.write_bytes(program.buffer)
    if options.etrecord is not None:
        options.etrecord.parent.mkdir(parents=True, exist_ok=True)
        program.get_etrecord().save(str(options.etrecord))

    report: dict[str, Any] = {
        "model": options.model,
        "target": options.target,
        "quantized": options.quantize,
        "activations": options.activations if options.quantize else "float32",
        "calibration_data": _file_digest(options.calibration_data) if options.calibration_data else None,
        "direct_drive": options.direct_drive,
        "delegated_partitions": len(partitions),
        "delegated_operators": delegated_operators(partitions),
        "non_delegated_operators": on_cpu,
        "cpu_fallback_reasons": fallback_reasons,
        "program_bytes": options.output.stat().st_size,
        "weights": _weights_digest(options.weights),
        "versions": versions(),
        "vela": None,
    }
    if TARGETS[options.target].kind == "ethos-u":
        report["vela"] = vela_estimates([p.vela.summary for p in partitions if p.vela is not None], options.vela_config)
    return report


def _resolve(path: str) -> pathlib.Path:
    """Paths given to `bazel run` are relative to where the user ran it."""
    base = os.environ.get("BUILD_WORKING_DIRECTORY", "")
    return pathlib.Path(base, path) if base and not os.path.isabs(path) else pathlib.Path(path)


def options_from_flags() -> Options:
    """Checks the flags before anything slow happens; raises UsageError."""
    model, target_name = _MODEL.value, _TARGET.value
    valid_models, valid_targets = ", ".join(sorted(models.MODELS)), ", ".join(TARGETS)
    if not model:
        raise UsageError(f"--model is required; valid: {valid_models}")
    if model not in models.MODELS:
        raise UsageError(f"unknown model '{model}'; valid: {valid_models}")
    if not target_name:
        raise UsageError(f"--target is required; valid: {valid_targets}")
    if target_name not in TARGETS:
        raise UsageError(f"unknown target '{target_name}'; valid: {valid_targets}")
    target = TARGETS[target_name]
    quantize = target.quantize_by_default if _QUANTIZE.value is None else bool(_QUANTIZE.value)
    if quantize and not target.can_quantize:
        raise UsageError(f"target {target_name} is floating point; drop --quantize")
    suffix = ".bpte" if _BUNDLEIO.value else ".pte"
    if not _OUTPUT.value:
        raise UsageError(f"--output is required (a {suffix} file)")
    if not _OUTPUT.value.endswith(suffix):
        raise UsageError(f"--output must end in {suffix}" + (" with --bundleio" if _BUNDLEIO.value else ""))
    weights = _resolve(_WEIGHTS.value) if _WEIGHTS.value else None
    if weights is not None and not weights.is_file():
        raise UsageError(
            f"weights file {_WEIGHTS.value} not found; nothing is downloaded, "
            "save a state_dict locally and pass its path"
        )
    if target.kind == "vgf":
        # The ML SDK wheel installs model-converter beside this interpreter;
        # build actions run with an empty environment, so no PATH finds it.
        beside = pathlib.Path(sys.executable).parent / "model-converter"
        if "MODEL_CONVERTER_PATH" not in os.environ and os.access(beside, os.X_OK):
            os.environ["MODEL_CONVERTER_PATH"] = str(beside)
        # The lookup of ExecuTorch's vgf/model_converter.py, without importing
        # ExecuTorch (which logs warnings) just to say no.
        converter = os.environ.get("MODEL_CONVERTER_PATH", "")
        if not os.access(converter, os.X_OK) and not any(
            shutil.which(name) for name in ("model-converter", "model_converter")
        ):
            raise UsageError(
                "target vgf needs the ML SDK model converter (model-converter on PATH or "
                "MODEL_CONVERTER_PATH), which is not installed here"
            )
    calibration_data = _resolve(_CALIBRATION_DATA.value) if _CALIBRATION_DATA.value else None
    if calibration_data is not None and not quantize:
        raise UsageError("--calibration_data calibrates the quantization; it needs a quantized target")
    if calibration_data is not None and not calibration_data.is_file():
        raise UsageError(f"--calibration_data {_CALIBRATION_DATA.value} does not exist")
    if _ACTIVATIONS.value == "int16" and not quantize:
        raise UsageError("--activations=int16 needs a quantized target")
    etrecord = _resolve(_ETRECORD.value) if _ETRECORD.value else None
    if _DIRECT_DRIVE.value and not target_name.startswith("ethos-u85"):
        raise UsageError("--direct_drive is an Ethos-U85 feature")
    if target.kind != "ethos-u":
        if _SYSTEM_CONFIG.value or _MEMORY_MODE.value or _VELA_CONFIG.value:
            raise UsageError("--system_config, --memory_mode and --vela_config apply to Ethos-U targets only")
        return Options(
            model,
            target_name,
            quantize,
            _resolve(_OUTPUT.value),
            _resolve(_INTERMEDIATES.value) if _INTERMEDIATES.value else None,
            weights,
            _BUNDLEIO.value,
            activations=_ACTIVATIONS.value,
            calibration_data=calibration_data,
            etrecord=etrecord,
        )

    vela_config = DEFAULT_VELA_CONFIG
    if _VELA_CONFIG.value:
        vela_config = _vela_config_argument(str(_resolve(_VELA_CONFIG.value)))
        if not pathlib.Path(vela_config).is_file():
            raise UsageError(f"--vela_config {_VELA_CONFIG.value} does not exist")
    system_config = _SYSTEM_CONFIG.value or target.system_config
    memory_mode = _MEMORY_MODE.value or target.memory_mode
    sections = _ini_sections(vela_config_path(vela_config))
    for kind, name in (("System_Config", system_config), ("Memory_Mode", memory_mode)):
        if f"{kind}.{name}" not in sections:
            valid = sorted(s.split(".", 1)[1] for s in sections if s.startswith(kind + "."))
            raise UsageError(f"unknown {kind.lower()} '{name}' in {vela_config}; valid: {', '.join(valid)}")
    return Options(
        model,
        target_name,
        quantize,
        _resolve(_OUTPUT.value),
        _resolve(_INTERMEDIATES.value) if _INTERMEDIATES.value else None,
        weights,
        _BUNDLEIO.value,
        system_config,
        memory_mode,
        vela_config,
        activations=_ACTIVATIONS.value,
        calibration_data=calibration_data,
        direct_drive=_DIRECT_DRIVE.value,
        etrecord=etrecord,
    )


def main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        print(f"error: unexpected arguments: {' '.join(argv[1:])}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    try:
        options = options_from_flags()
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    # ExecuTorch logs every pass at INFO; keep warnings only. torch warns on
    # each import that torchao's enums use a deprecated pytree registration.
    logging.getLogger("executorch").setLevel(logging.WARNING)
    logging.getLogger("torch.utils._pytree").setLevel(logging.ERROR)
    started = time.monotonic()
    try:
        report = compile_model(options)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except CompileError as error:
        print(f"error: cannot compile {options.model} for {options.target}: {error}", file=sys.stderr)
        sys.exit(1)
    seconds = time.monotonic() - started
    if _TIMING.value:
        _resolve(_TIMING.value).write_text(json.dumps({"compile_seconds": round(seconds, 3)}) + "\n")
    text = json.dumps(report, indent=2, sort_keys=True) + "\n"
    if _REPORT.value:
        report_path = _resolve(_REPORT.value)
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(text)
    vela = report["vela"]
    estimate = f", Vela: {vela['total_cycles']} cycles, {vela['sram_bytes']} B SRAM" if vela else ""
    # Timing goes to stderr only, so the report stays byte-reproducible.
    print(
        f"compiled {options.model} for {options.target} in {seconds:.1f} s: "
        f"{options.output} ({report['program_bytes']} bytes, "
        f"{report['delegated_partitions']} delegated partition(s){estimate})",
        file=sys.stderr,
    )


if __name__ == "__main__":
    app.run(main)
