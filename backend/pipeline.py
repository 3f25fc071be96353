"""The compile itself, as named stages: export → quantize → lower → serialize → report.

export runs torch.export on the model and its example inputs; quantize
calibrates and converts it to int8 (or 16A8W) as ExecuTorch's
aot_arm_compiler does; lower partitions it onto the Arm backend (TOSA, then
Vela for Ethos-U or the model converter for VGF), keeps the intermediates and
evaluates the lowered program (backend/evaluate.py); serialize writes the
.pte/.bpte (and ETRecord); report says what was delegated, Vela's estimates
and which versions produced the program.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import io
import logging
import os
import pathlib
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from backend import model_source
from backend.cli import Options
from backend.errors import CompileError, UsageError
from backend.evaluate import IN_SAMPLE, as_list, evaluate, example_samples, seeded_samples, write_numerics
from backend.graph import (
    Partition,
    attach_tosa,
    base_name,
    cpu_operators,
    delegated_operators,
    delegated_partitions,
    match_vela_runs,
    missing_kernels,
    op_name,
    output_quantization,
    partitioner_rejections,
)
from backend.model_spec import CALIBRATION_SEEDS, SEED, ModelSpec
from backend.targets import TARGETS
from backend.vela import VelaRuns, vela_estimates


def versions() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in ("torch", "executorch", "ethos-u-vela", "tosa-tools")}


def compile_spec(options: Options) -> Any:
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


def _weights_digest(weights: pathlib.Path | None, seeded: bool) -> str:
    """What the weights were: a local file's SHA256, a ModelSpec's seeded ones, or the model's own."""
    if weights is not None:
        return _file_digest(weights)
    return f"seeded (torch.manual_seed({SEED}))" if seeded else "in the model"


def _calibration_inputs(options: Options, exported: Exported) -> list[tuple[Any, ...]]:
    """The input tuples to calibrate on: --calibration_data, checked against the example inputs,
    else a ModelSpec's calibration samples (other seeds than the evaluation samples), or a
    user model's example inputs (all it comes with)."""
    import torch

    example = exported.inputs
    if options.calibration_data is None and exported.spec is None:
        return [tuple(example)]
    if options.calibration_data is None:
        assert exported.spec is not None  # mypy: checked just above
        return [exported.spec.sample_inputs(seed) for seed in CALIBRATION_SEEDS]
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


def _to_edge(exported: Any, spec: Any, etrecord: bool) -> Any:
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
    # torch's stubs type these module-level switches as descriptors.
    torch.backends.mkldnn.enabled = False  # type: ignore[assignment]
    torch.backends.nnpack.enabled = False  # type: ignore[attr-defined]


@dataclass
class Exported:
    """The model, its example inputs and its exported program."""

    module: Any  # torch.nn.Module
    inputs: tuple[Any, ...]
    program: Any  # torch.export.ExportedProgram
    provenance: dict[str, str] | None  # where a model from a file or import came from; None for a name
    spec: ModelSpec | None  # seeded calibration and evaluation samples; None: the example inputs only


@dataclass
class Quantized:
    """The program to lower and the PyTorch model it computes (the quantized one when quantized)."""

    program: Any
    reference: Any


@dataclass
class Lowered:
    """The ExecuTorch program, its delegated partitions and what stayed on the CPU, and why."""

    program: Any  # executorch.exir.ExecutorchProgramManager
    partitions: list[Partition]
    cpu_operators: dict[str, int]
    fallback_reasons: dict[str, str]


def export(options: Options) -> Exported:
    """The model with its example inputs, through torch.export."""
    import torch

    loaded = model_source.load(options.source, options.weights, options.model_inputs, options.model_path)
    try:
        with contextlib.nullcontext() if options.source.builtin else _quiet_export_failure():
            program = torch.export.export(loaded.module, loaded.inputs)
    except Exception as error:
        raise CompileError(f"torch.export failed: {_export_failure(error)}") from error
    return Exported(loaded.module, loaded.inputs, program, loaded.provenance, loaded.spec)


# Before raising, torch.export prints the partial graph to stderr and logs it
# as a multi-line warning; the error itself names the source line.
_EXPORT_LOGGERS = ("torch.fx.experimental.symbolic_shapes", "torch.export._trace")


@contextlib.contextmanager
def _quiet_export_failure() -> Iterator[None]:
    """Holds back what torch.export writes to stderr, and passes it on only if export succeeds;
    keeps its loggers' failure reports out (one line on stderr is the contract for user models)."""
    loggers = [logging.getLogger(name) for name in _EXPORT_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    held = io.StringIO()
    try:
        with contextlib.redirect_stderr(held):
            yield
        sys.stderr.write(held.getvalue())
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


_SOURCE_LINE = re.compile(r'File "([^"]+)", line (\d+), in \S+\n\s+(\S.*)')


def _export_failure(error: Exception) -> str:
    """torch.export's error in one line: its first line and the model source line it names."""
    where = _SOURCE_LINE.findall(str(error))
    if not where:
        return model_source.one_line(error)
    path, line, code = where[-1]
    return f"{model_source.one_line(error)} (at {path}:{line}: {code.strip()})"


def quantize(options: Options, exported: Exported, spec: Any) -> Quantized:
    """As ExecuTorch's aot_arm_compiler: symmetric, per-channel int8 weights, calibrated on the
    model's calibration samples unless data is given. The float program when not quantizing."""
    if not options.quantize:
        return Quantized(exported.program, exported.module)
    import torch
    from executorch.backends.arm.quantizer import (
        get_symmetric_a16w8_quantization_config,
        get_symmetric_quantization_config,
    )
    from executorch.backends.arm.util._factory import create_quantizer
    from torchao.quantization.pt2e.quantize_pt2e import (
        convert_pt2e,
        prepare_pt2e,
    )

    quantizer = create_quantizer(spec)
    config = (
        get_symmetric_a16w8_quantization_config(is_per_channel=True)
        if options.activations == "int16"
        else get_symmetric_quantization_config(is_per_channel=True)
    )
    quantizer.set_global(config)
    prepared = prepare_pt2e(exported.program.module(check_guards=False), quantizer)
    for sample in _calibration_inputs(options, exported):
        prepared(*sample)
    reference = convert_pt2e(prepared)
    return Quantized(torch.export.export(reference, exported.inputs), reference)


def lower(options: Options, exported: Exported, quantized: Quantized, spec: Any) -> Lowered:
    """Partitions and lowers the program onto the target's delegate; with --intermediates, keeps
    each partition's TOSA and Vela's files and evaluates the lowered program into numerics/."""
    from executorch.exir import ExecutorchBackendConfig

    if options.model_converter is not None:
        os.environ["MODEL_CONVERTER_PATH"] = options.model_converter
    with tempfile.TemporaryDirectory(prefix="vela-") as workdir:
        vela = VelaRuns(pathlib.Path(workdir))
        with vela.recording(), partitioner_rejections() as rejections:
            edge = _to_edge(quantized.program, spec, options.etrecord is not None)
        lowered_program = edge.exported_program()
        partitions = delegated_partitions(lowered_program)
        if TARGETS[options.target].kind == "ethos-u":
            match_vela_runs(partitions, vela.runs)
        tosa_spec = str(spec.tosa_spec) if spec is not None else ""
        attach_tosa(partitions, tosa_spec, options.intermediates)
        if options.intermediates is not None:
            _write_intermediates(options.intermediates, partitions)
            write_numerics(
                options.intermediates,
                evaluate(
                    exported.module,
                    quantized.reference if options.quantize else None,
                    lowered_program,
                    partitions,
                    seeded_samples(exported.spec) if exported.spec else example_samples(exported.inputs),
                ),
                output_quantization(lowered_program),
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
    return Lowered(program, partitions, on_cpu, fallback_reasons)


def serialize(options: Options, exported: Exported, quantized: Quantized, lowered: Lowered) -> None:
    """Writes the .pte, or the .bpte bundling the example inputs with the reference outputs,
    and the ETRecord when asked."""
    import torch

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
            expected_outputs = as_list(quantized.reference(*exported.inputs))
        suite = MethodTestSuite(
            method_name="forward",
            test_cases=[MethodTestCase(inputs=list(exported.inputs), expected_outputs=expected_outputs)],
        )
        bundled = BundledProgram(lowered.program, [suite])
        options.output.write_bytes(serialize_from_bundled_program_to_flatbuffer(bundled))
    else:
        options.output.write_bytes(lowered.program.buffer)
    if options.etrecord is not None:
        options.etrecord.parent.mkdir(parents=True, exist_ok=True)
        lowered.program.get_etrecord().save(str(options.etrecord))


def report(options: Options, exported: Exported, lowered: Lowered) -> dict[str, Any]:
    """The JSON report: what was delegated, what stayed on the CPU and why, Vela's estimates and
    what produced the program (model, weights, calibration data, versions)."""
    partitions = lowered.partitions
    result: dict[str, Any] = {
        "model": options.model,
        "target": options.target,
        "quantized": options.quantize,
        "activations": options.activations if options.quantize else "float32",
        "calibration_data": _file_digest(options.calibration_data) if options.calibration_data else None,
        "direct_drive": options.direct_drive,
        "delegated_partitions": len(partitions),
        "delegated_operators": delegated_operators(partitions),
        "non_delegated_operators": lowered.cpu_operators,
        "cpu_fallback_reasons": lowered.fallback_reasons,
        "program_bytes": options.output.stat().st_size,
        "weights": _weights_digest(options.weights, exported.spec is not None),
        "versions": versions(),
        "vela": None,
    }
    if exported.provenance is not None:
        result["model_source"] = exported.provenance
    if exported.spec is None and not options.source.builtin:
        # A model without a ModelSpec has no seeds: it is calibrated and evaluated on what it brings.
        result["calibration"] = "--calibration_data" if options.calibration_data else "example inputs"
        result["evaluation"] = IN_SAMPLE
    if TARGETS[options.target].kind == "ethos-u":
        result["vela"] = vela_estimates([p.vela.summary for p in partitions if p.vela is not None], options.vela_config)
    return result


def compile_model(options: Options) -> dict[str, Any]:
    """Compiles options.model, writes the program (and intermediates); returns the report."""
    pin_torch_numerics()
    exported = export(options)
    spec = compile_spec(options)
    quantized = quantize(options, exported, spec)
    lowered = lower(options, exported, quantized, spec)
    serialize(options, exported, quantized, lowered)
    return report(options, exported, lowered)
