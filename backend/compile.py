"""Ahead-of-time compiler: a model from backend/models.py to an ExecuTorch program for Arm.

export → (quantize) → partition and lower through ExecuTorch's Arm backend
(TOSA, then Vela for Ethos-U or the model converter for VGF) → .pte/.bpte, plus
a JSON report of what was delegated, Vela's own performance and memory
estimates, and the versions that produced the program.

Usage:
  compile --model=add --target=ethos-u55-128 --output=add.pte --report=add.json
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import importlib.metadata
import json
import os
import pathlib
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from absl import app, flags

from backend import models

EXIT_USAGE = 2


@dataclass(frozen=True)
class Target:
    """Everything the compiler needs to know about a target, declared once."""

    kind: str  # "ethos-u", "tosa" or "vgf"
    quantize_by_default: bool
    can_quantize: bool = True


def _targets() -> dict[str, Target]:
    table = {f"ethos-u55-{macs}": Target("ethos-u", True) for macs in (32, 64, 128, 256)}
    table |= {f"ethos-u85-{macs}": Target("ethos-u", True) for macs in (128, 256, 512, 1024, 2048)}
    table["TOSA-1.0+INT"] = Target("tosa", True)
    table["TOSA-1.0+FP"] = Target("tosa", False, can_quantize=False)
    table["vgf"] = Target("vgf", True)
    return table


TARGETS = _targets()

_MODEL = flags.DEFINE_string("model", None, "Model name from backend/models.py.")
_TARGET = flags.DEFINE_string("target", None, f"One of: {', '.join(TARGETS)}.")
_QUANTIZE = flags.DEFINE_boolean(
    "quantize", None, "Quantize to int8 (default: yes, except for TOSA-1.0+FP)."
)
_BUNDLEIO = flags.DEFINE_boolean(
    "bundleio", False, "Write a .bpte bundling the example inputs and reference outputs."
)
_OUTPUT = flags.DEFINE_string("output", None, "Path of the .pte (or .bpte with --bundleio).")
_REPORT = flags.DEFINE_string("report", None, "Path of the JSON report.")
_INTERMEDIATES = flags.DEFINE_string(
    "intermediates", None, "Directory for TOSA flatbuffers handed to Vela and other intermediates."
)
_SYSTEM_CONFIG = flags.DEFINE_string("system_config", None, "Vela system config (Ethos-U).")
_MEMORY_MODE = flags.DEFINE_string("memory_mode", None, "Vela memory mode (Ethos-U).")
_VELA_CONFIG = flags.DEFINE_string("vela_config", None, "A vela.ini to use instead of ExecuTorch's.")
_WEIGHTS = flags.DEFINE_string("weights", None, "A local state_dict file for the model.")


class UsageError(Exception):
    """Bad input from the user: one line, exit status 2."""


def default_vela_ini() -> pathlib.Path:
    """The vela.ini ExecuTorch uses by default ("Arm/vela.ini" inside the Vela package)."""
    import ethosu  # noqa: PLC0415 (only Ethos-U compiles need Vela)

    # ethosu is a namespace package: no __file__, one search path.
    return pathlib.Path(next(iter(ethosu.__path__))) / "config_files" / "Arm" / "vela.ini"


def versions() -> dict[str, str]:
    return {
        name: importlib.metadata.version(name)
        for name in ("torch", "executorch", "ethos-u-vela", "tosa-tools")
    }


def _compile_spec(target: str, intermediates: pathlib.Path) -> Any:
    kind = TARGETS[target].kind
    if kind == "ethos-u":
        from executorch.backends.arm.ethosu import EthosUCompileSpec  # noqa: PLC0415

        spec: Any = EthosUCompileSpec(
            target,
            system_config=_SYSTEM_CONFIG.value,
            memory_mode=_MEMORY_MODE.value,
            config_ini=_VELA_CONFIG.value,
        )
    else:
        from executorch.backends.arm.tosa import TosaSpecification  # noqa: PLC0415

        if kind == "tosa":
            from executorch.backends.arm.tosa.compile_spec import TosaCompileSpec  # noqa: PLC0415

            spec = TosaCompileSpec(TosaSpecification.create_from_string(target))
        else:
            from executorch.backends.arm.vgf import VgfCompileSpec  # noqa: PLC0415

            tosa = "TOSA-1.0+INT" if _quantize(target) else "TOSA-1.0+FP"
            spec = VgfCompileSpec(TosaSpecification.create_from_string(tosa))
    spec.dump_intermediate_artifacts_to(str(intermediates))
    return spec


def _quantize(target: str) -> bool:
    quantize = TARGETS[target].quantize_by_default if _QUANTIZE.value is None else _QUANTIZE.value
    if quantize and not TARGETS[target].can_quantize:
        raise UsageError(f"target {target} is floating point; drop --quantize")
    return bool(quantize)


@contextlib.contextmanager
def _capture_vela_summaries(summaries: list[dict[str, str]]) -> Iterator[None]:
    """Collects the summary CSV Vela writes for each delegated partition.

    ExecuTorch runs Vela in-process inside its intermediates directory and keeps
    none of Vela's estimates; each partition's run overwrites output/, so the
    summary is read right after each call.
    """
    from executorch.backends.arm.ethosu import backend  # noqa: PLC0415

    original = backend.vela_compile

    def vela_compile(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        output = pathlib.Path(kwargs["intermediate_path"]) / "output"
        for csv_path in sorted(output.glob("*_summary_*.csv")):
            with csv_path.open(newline="") as stream:
                summaries.extend(csv.DictReader(stream))
        return result

    backend.vela_compile = vela_compile
    try:
        yield
    finally:
        backend.vela_compile = original


def _number(row: dict[str, str], column: str) -> float:
    value = row.get(column, "")
    return float(value) if value not in ("", None) else 0.0


def vela_estimates(summaries: list[dict[str, str]], vela_ini: pathlib.Path) -> dict[str, Any]:
    """Sums Vela's per-partition summary rows (columns as Vela 5.1 names them)."""
    cycles = {
        "npu_cycles": "cycles_npu",
        "sram_access_cycles": "cycles_sram_access",
        "dram_access_cycles": "cycles_dram_access",
        "on_chip_flash_access_cycles": "cycles_on_chip_flash_access",
        "off_chip_flash_access_cycles": "cycles_off_chip_flash_access",
        "total_cycles": "cycles_total",
    }
    estimates: dict[str, Any] = {
        key: int(sum(_number(row, column) for row in summaries)) for key, column in cycles.items()
    }
    clock = _number(summaries[0], "core_clock") if summaries else 0.0
    # Vela reports memory use in KiB.
    for key, column in (
        ("sram_bytes", "sram_memory_used"),
        ("dram_bytes", "dram_memory_used"),
        ("flash_bytes", "off_chip_flash_memory_used"),
        ("on_chip_flash_bytes", "on_chip_flash_memory_used"),
    ):
        estimates[key] = int(sum(_number(row, column) for row in summaries) * 1024)
    estimates["core_clock_hz"] = int(clock)
    estimates["inference_seconds"] = estimates["total_cycles"] / clock if clock else None
    estimates["system_config"] = summaries[0].get("system_config") if summaries else None
    estimates["memory_mode"] = summaries[0].get("memory_mode") if summaries else None
    estimates["accelerator"] = summaries[0].get("accelerator_configuration") if summaries else None
    estimates["vela_ini_sha256"] = hashlib.sha256(vela_ini.read_bytes()).hexdigest()
    estimates["summary_source"] = "Vela <network>_summary_<system_config>.csv, summed over partitions"
    return estimates


def _qparams(node: Any) -> dict[str, Any] | None:
    """Scale, zero point and dtype of a quantize/dequantize_per_tensor node, else None."""
    name = str(getattr(node, "target", ""))
    if "quantize_per_tensor" not in name:
        return None
    _, scale, zero_point, _, _, dtype = node.args[:6]
    return {"scale": float(scale), "zero_point": int(zero_point), "dtype": str(dtype).removeprefix("torch.")}


def delegate_io(graph_module: Any) -> list[dict[str, list[dict[str, Any] | None]]]:
    """For each delegated partition, how the CPU (de)quantizes its inputs and outputs.

    The numerics test feeds the TOSA graph exactly what the lowered program's
    CPU quantize ops would, and dequantizes its outputs the same way.
    """
    partitions = []
    for node in graph_module.graph.nodes:
        if "executorch_call_delegate" not in str(node.target):
            continue
        inputs = [_qparams(arg) for arg in node.args[1:]]
        outputs: list[dict[str, Any] | None] = []
        for user in sorted(node.users, key=lambda u: u.args[1] if len(u.args) > 1 else 0):
            consumers = list(user.users)
            outputs.append(_qparams(consumers[0]) if len(consumers) == 1 else None)
        partitions.append({"inputs": inputs, "outputs": outputs})
    return partitions


def _write_numerics_reference(
    intermediates: pathlib.Path, graph_module: Any, reference_outputs: Any, torch: Any
) -> None:
    """Saves what the numerics test needs beside the TOSA files: the delegates'
    I/O quantization and the outputs of the (quantized) PyTorch reference."""
    (intermediates / "delegate_io.json").write_text(
        json.dumps(delegate_io(graph_module), indent=2, sort_keys=True) + "\n"
    )
    outputs = reference_outputs if isinstance(reference_outputs, (tuple, list)) else [reference_outputs]
    torch.save([o.detach() for o in outputs], intermediates / "reference_outputs.pt")


def compile_model(
    model_name: str, target: str, output: pathlib.Path, intermediates: pathlib.Path,
    weights: pathlib.Path | None, bundleio: bool,
) -> dict[str, Any]:
    """Compiles and writes the program; returns the report (without file sizes)."""
    import torch  # noqa: PLC0415 (slow import, after flag validation)
    from executorch.backends.arm.quantizer import (  # noqa: PLC0415
        get_symmetric_quantization_config,
    )
    from executorch.backends.arm.util._factory import (  # noqa: PLC0415
        create_partitioner,
        create_quantizer,
    )
    from executorch.devtools.backend_debug import get_delegation_info  # noqa: PLC0415
    from executorch.exir import (  # noqa: PLC0415
        EdgeCompileConfig,
        ExecutorchBackendConfig,
        to_edge_transform_and_lower,
    )
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e  # noqa: PLC0415

    quantize = _quantize(target)
    module, inputs = models.load_model(model_name, weights)
    exported = torch.export.export(module, inputs)
    spec = _compile_spec(target, intermediates)
    reference_module: Any = module
    if quantize:
        quantizer = create_quantizer(spec)
        quantizer.set_global(get_symmetric_quantization_config(is_per_channel=True))
        prepared = prepare_pt2e(exported.module(), quantizer)
        prepared(*inputs)  # calibrate on the example inputs
        reference_module = convert_pt2e(prepared)
        exported = torch.export.export(reference_module, inputs)

    summaries: list[dict[str, str]] = []
    with _capture_vela_summaries(summaries):
        edge = to_edge_transform_and_lower(
            exported,
            partitioner=[create_partitioner(spec)],
            compile_config=EdgeCompileConfig(_check_ir_validity=False),
        )
    graph_module = edge.exported_program().graph_module
    delegation = get_delegation_info(graph_module)
    _write_numerics_reference(intermediates, graph_module, reference_module(*inputs), torch)
    program = edge.to_executorch(config=ExecutorchBackendConfig(extract_delegate_segments=False))

    output.parent.mkdir(parents=True, exist_ok=True)
    if bundleio:
        from executorch.devtools import BundledProgram  # noqa: PLC0415
        from executorch.devtools.bundled_program.config import (  # noqa: PLC0415
            MethodTestCase,
            MethodTestSuite,
        )
        from executorch.devtools.bundled_program.serialize import (  # noqa: PLC0415
            serialize_from_bundled_program_to_flatbuffer,
        )

        expected = reference_module(*inputs)
        expected_outputs = list(expected) if isinstance(expected, (tuple, list)) else [expected]
        suite = MethodTestSuite(
            method_name="forward",
            test_cases=[MethodTestCase(inputs=list(inputs), expected_outputs=expected_outputs)],
        )
        output.write_bytes(serialize_from_bundled_program_to_flatbuffer(BundledProgram(program, [suite])))
    else:
        output.write_bytes(program.buffer)

    breakdown = delegation.delegation_by_operator.values()
    report: dict[str, Any] = {
        "model": model_name,
        "target": target,
        "quantized": quantize,
        "delegated_partitions": delegation.num_delegated_subgraphs,
        "delegated_operators": {b.op_type: b.delegated for b in breakdown if b.delegated},
        "non_delegated_operators": {b.op_type: b.non_delegated for b in breakdown if b.non_delegated},
        "versions": versions(),
        "vela": None,
    }
    if TARGETS[target].kind == "ethos-u":
        vela_ini = pathlib.Path(_VELA_CONFIG.value) if _VELA_CONFIG.value else default_vela_ini()
        report["vela"] = vela_estimates(summaries, vela_ini)
    return report


def _resolve(path: str) -> pathlib.Path:
    """Paths given to `bazel run` are relative to where the user ran it."""
    base = os.environ.get("BUILD_WORKING_DIRECTORY", "")
    return pathlib.Path(base, path) if base and not os.path.isabs(path) else pathlib.Path(path)


def validate() -> tuple[str, str]:
    if not _MODEL.value:
        raise UsageError(f"--model is required; valid: {', '.join(sorted(models.MODELS))}")
    if _MODEL.value not in models.MODELS:
        raise UsageError(f"unknown model '{_MODEL.value}'; valid: {', '.join(sorted(models.MODELS))}")
    if not _TARGET.value:
        raise UsageError(f"--target is required; valid: {', '.join(TARGETS)}")
    if _TARGET.value not in TARGETS:
        raise UsageError(f"unknown target '{_TARGET.value}'; valid: {', '.join(TARGETS)}")
    if not _OUTPUT.value:
        raise UsageError("--output is required (a .pte, or a .bpte with --bundleio)")
    suffix = ".bpte" if _BUNDLEIO.value else ".pte"
    if not _OUTPUT.value.endswith(suffix):
        raise UsageError(f"--output must end in {suffix}{' with --bundleio' if _BUNDLEIO.value else ''}")
    if _WEIGHTS.value and not _resolve(_WEIGHTS.value).is_file():
        raise UsageError(
            f"weights file {_WEIGHTS.value} not found; pretrained weights are not downloaded "
            "here, save a state_dict locally and pass its path"
        )
    if _VELA_CONFIG.value and not _resolve(_VELA_CONFIG.value).is_file():
        raise UsageError(f"--vela_config {_VELA_CONFIG.value} does not exist")
    if TARGETS[_TARGET.value].kind != "ethos-u" and (_SYSTEM_CONFIG.value or _MEMORY_MODE.value):
        raise UsageError("--system_config and --memory_mode apply to Ethos-U targets only")
    _quantize(_TARGET.value)
    return _MODEL.value, _TARGET.value


def main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        model_name, target = validate()
        output = _resolve(_OUTPUT.value)
        weights = _resolve(_WEIGHTS.value) if _WEIGHTS.value else None
        started = time.monotonic()
        with contextlib.ExitStack() as stack:
            if _INTERMEDIATES.value:
                intermediates = _resolve(_INTERMEDIATES.value)
                intermediates.mkdir(parents=True, exist_ok=True)
            else:
                intermediates = pathlib.Path(stack.enter_context(tempfile.TemporaryDirectory()))
            report = compile_model(model_name, target, output, intermediates, weights, _BUNDLEIO.value)
    except (UsageError, models.UnknownModelError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    report["program_bytes"] = output.stat().st_size
    text = json.dumps(report, indent=2, sort_keys=True) + "\n"
    if _REPORT.value:
        _resolve(_REPORT.value).parent.mkdir(parents=True, exist_ok=True)
        _resolve(_REPORT.value).write_text(text)
    print(
        f"compiled {model_name} for {target} in {time.monotonic() - started:.1f} s: "
        f"{output} ({report['program_bytes']} bytes)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    app.run(main)
