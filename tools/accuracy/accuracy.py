"""Accuracy of a compiled program on a labelled dataset, executor by executor: float PyTorch,
quantized PyTorch, the lowered program (its CPU part in PyTorch, its delegated parts on the TOSA
reference model) and, for programs the host runner executes (CPU and Ethos-U programs, the NPU
part on the functional Ethos-U model), //runtime:executor_runner.

The compile's flags (backend/cli.py) say what was compiled; --output is the compiled program,
read, not written. The model is exported, quantized and lowered again (a compile is
deterministic) and the lowered program must be byte for byte the given one, so the executors
evaluate exactly that program. The dataset is a torch.save'd (inputs, labels): a list of input
tuples (--calibration_data's format) and an int64 tensor of class indices. Writes a text table
and JSON.

Exit codes: 0 ok; 2 bad flags or dataset; 3 the lowered program differs from --output; 1 other.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from absl import app, flags

from backend import cli, pipeline
from backend.errors import UsageError
from backend.evaluate import Samples, evaluate
from backend.graph import attach_tosa, delegated_partitions, match_vela_runs
from backend.targets import TARGETS
from backend.vela import VelaRuns
from examples.classify import run_runner

_DATASET = flags.DEFINE_string("dataset", None, "A torch.save'd (inputs, labels) to evaluate on.")
_RUNNER = flags.DEFINE_string(
    "runner", None, "//runtime:executor_runner for the host; used for CPU and Ethos-U programs."
)
_JSON = flags.DEFINE_string("json", None, "Where to write the table as JSON.")
_TEXT = flags.DEFINE_string("text", None, "Where to write the table as text (also printed).")

# Targets whose whole program the host runner executes: ExecuTorch's CPU kernels, and the
# functional Ethos-U55/U85 model for the NPU part (tools/accuracy/defs.bzl passes --runner for them).
HOST_RUNNABLE = ("cpu", "ethos-u55", "ethos-u85")

EXIT_PROGRAM_MISMATCH = 3


@dataclass(frozen=True)
class Dataset:
    inputs: list[tuple[Any, ...]]
    labels: list[int]
    sha256: str


def load_dataset(path: pathlib.Path) -> Dataset:
    """(inputs, labels) from a torch.save'd file; raises UsageError."""
    import torch

    if not path.is_file():
        raise UsageError(f"--dataset {path} does not exist")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise UsageError(f"--dataset {path} is not a torch.save'd file: {error}") from error
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise UsageError(f"--dataset {path} must hold (inputs, labels), not a {type(data).__name__}")
    inputs, labels = data
    samples = [tuple(s) if isinstance(s, (tuple, list)) else (s,) for s in inputs]
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1 or labels.dtype != torch.int64:
        raise UsageError(f"--dataset {path}: labels must be a 1-D int64 tensor")
    if len(samples) != len(labels) or not samples:
        raise UsageError(f"--dataset {path}: {len(samples)} inputs for {len(labels)} labels")
    return Dataset(samples, [int(label) for label in labels], hashlib.sha256(path.read_bytes()).hexdigest())


def ranks(logits: Any, label: int) -> int:
    """How many classes score higher than the true one (0: top-1 correct)."""
    import numpy as np

    scores = np.asarray(logits, dtype=np.float64).ravel()
    return int((scores > scores[label]).sum())


def sqnr_db(reference: Sequence[Any], outputs: Sequence[Any]) -> float | None:
    """Signal-to-quantization-noise ratio of outputs against the float logits over the dataset, in
    dB; None when they are identical (infinite)."""
    import numpy as np

    signal = sum(float(np.sum(np.asarray(r, dtype=np.float64) ** 2)) for r in reference)
    noise = sum(
        float(np.sum((np.asarray(o, dtype=np.float64).ravel() - np.asarray(r, dtype=np.float64).ravel()) ** 2))
        for r, o in zip(reference, outputs, strict=True)
    )
    return None if noise == 0 else float(10 * np.log10(signal / noise))


def lowered_for_evaluation(options: cli.Options, workdir: pathlib.Path) -> tuple[Any, Any, Any, list[Any]]:
    """The compile's stages again: (float module, quantized module, lowered edge program, partitions
    with their TOSA); raises SystemExit(3) when the program differs from the given one."""
    from executorch.exir import ExecutorchBackendConfig

    pipeline.pin_torch_numerics()
    exported = pipeline.export(options)
    spec = pipeline.compile_spec(options)
    quantized = pipeline.quantize(options, exported, spec)
    if options.model_converter is not None:  # as pipeline.lower: ExecuTorch's VGF backend reads it
        os.environ["MODEL_CONVERTER_PATH"] = options.model_converter
    vela = VelaRuns(workdir)
    with vela.recording():
        edge = pipeline._to_edge(quantized.program, spec, False)
    lowered = edge.exported_program()
    partitions = delegated_partitions(lowered)
    if TARGETS[options.target].kind == "ethos-u":
        match_vela_runs(partitions, vela.runs)
    attach_tosa(partitions, str(spec.tosa_spec) if spec is not None else "", options.intermediates)
    program = edge.to_executorch(config=ExecutorchBackendConfig(extract_delegate_segments=False)).buffer
    given = options.output.read_bytes()
    # A VGF program embeds the path of ExecuTorch's TOSA dump, which is ours here, not the
    # compile's: its delegate blobs (inline in the program) must be the given program's.
    same = (
        all(bytes(p.lowered.processed_bytes) in given for p in partitions)
        if TARGETS[options.target].kind == "vgf"
        else program == given
    )
    if not same:
        print(
            f"accuracy: error: lowering {options.model} again for {options.target} gives another program than "
            f"{options.output}: the flags differ from the compile's",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_PROGRAM_MISMATCH)
    return exported.module, quantized.reference if options.quantize else None, lowered, partitions


def measure(options: cli.Options, dataset: Dataset, runner: str | None) -> dict[str, Any]:
    """Per executor: top-1 and top-5 accuracy and how often its top-1 class is float PyTorch's."""
    with tempfile.TemporaryDirectory(prefix="accuracy-") as tmp:
        workdir = pathlib.Path(tmp)
        # The VGF delegate holds no TOSA: ExecuTorch's dump, written here, has it.
        options = replace(options, intermediates=workdir / "intermediates")
        module, quantized, lowered, partitions = lowered_for_evaluation(options, workdir)
        evaluation = evaluate(module, quantized, lowered, partitions, Samples(dataset.inputs, [], "dataset"))
        logits: dict[str, list[Any]] = {
            "float PyTorch": [outputs[0].numpy() for outputs in evaluation.eager],
        }
        if evaluation.quantized is not None:
            logits["quantized PyTorch"] = [outputs[0].numpy() for outputs in evaluation.quantized]
        logits["lowered program, delegated parts on the TOSA reference model"] = [
            outputs[0].numpy() for outputs in evaluation.lowered
        ]
        kind = TARGETS[options.target].kind
        if runner is not None and options.target.startswith(HOST_RUNNABLE):
            name = "executor_runner on the host" + (
                ", NPU part on the functional Ethos-U model" if kind == "ethos-u" else ""
            )
            logits[name] = [
                run_runner(runner, str(options.output), sample[0].numpy(), 1, workdir)[0]
                for sample in dataset.inputs
            ]
    float_classes = [int(x.argmax()) for x in logits["float PyTorch"]]
    executors = []
    for name, outputs in logits.items():
        positions = [ranks(x, label) for x, label in zip(outputs, dataset.labels, strict=True)]
        executors.append(
            {
                "executor": name,
                "samples": len(positions),
                "top1_correct": sum(p == 0 for p in positions),
                "top1": sum(p == 0 for p in positions) / len(positions),
                "top5": sum(p < 5 for p in positions) / len(positions),
                "logits_sqnr_db": sqnr_db(logits["float PyTorch"], outputs),
                # Per sample, in the dataset's order: what the examples show for one input.
                "top1_classes": [int(x.argmax()) for x in outputs],
                "agrees_with_float_top1": sum(
                    int(x.argmax()) == f for x, f in zip(outputs, float_classes, strict=True)
                )
                / len(positions),
            }
        )
    return {
        "model": options.model,
        "target": options.target,
        "quantized": options.quantize,
        "calibration_data": (
            "sha256:" + hashlib.sha256(options.calibration_data.read_bytes()).hexdigest()
            if options.calibration_data
            else None
        ),
        "dataset": {"samples": len(dataset.labels), "sha256": dataset.sha256},
        "executors": executors,
    }


def table(result: dict[str, Any]) -> str:
    calibration = "the example inputs" if result["calibration_data"] is None else "--calibration_data"
    lines = [
        f"{result['model']} for {result['target']} "
        f"({'int8, calibrated on ' + calibration if result['quantized'] else 'float'}), "
        f"{result['dataset']['samples']} labelled samples",
        f"{'executor':<74} {'top-1':>7} {'top-5':>8} {'same top-1 as float':>20} {'logits SQNR':>12}",
    ]
    for row in result["executors"]:
        sqnr = "-" if row["logits_sqnr_db"] is None else f"{row['logits_sqnr_db']:.1f} dB"
        lines.append(
            f"{row['executor']:<74} {row['top1']:>7.2%} {row['top5']:>8.2%} "
            f"{row['agrees_with_float_top1']:>20.2%} {sqnr:>12}"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    del argv
    try:
        options = cli.options_from_flags()
        if not _DATASET.value:
            raise UsageError("--dataset is required")
        if not options.output.is_file():
            raise UsageError(f"--output {options.output} (the compiled program) does not exist")
        dataset = load_dataset(cli.resolve(_DATASET.value))
    except UsageError as error:
        print(f"accuracy: error: {error}", file=sys.stderr)
        return 2
    result = measure(options, dataset, _RUNNER.value)
    text = table(result)
    print(text, end="")
    if _TEXT.value:
        cli.resolve(_TEXT.value).write_text(text)
    if _JSON.value:
        cli.resolve(_JSON.value).write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(app.run(main))
