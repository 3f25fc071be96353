"""The lowered program run on the evaluation samples (its CPU part in PyTorch, each delegated
partition on the TOSA reference model) beside the float and quantized models, written to
numerics/ for the numerics check (backend/numerics.py)."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from backend.graph import NumericsUnavailable, Partition, op_name, quantization_points
from backend.model_spec import EVALUATION_SEEDS, ModelSpec


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
    return as_list(results), calls


# What numerics.json says of a user model's evaluation: it has no registry seeds.
IN_SAMPLE = "in-sample: example inputs only"


@dataclass(frozen=True)
class Samples:
    """The inputs a program is evaluated on."""

    inputs: list[tuple[Any, ...]]
    seeds: list[int]  # a ModelSpec's evaluation seeds; empty for a model without one
    sampling: str | None = None  # said in numerics.json unless they are the registry's out-of-sample seeds


def seeded_samples(spec: ModelSpec) -> Samples:
    """A ModelSpec's evaluation samples (seeds the quantization was not calibrated on)."""
    seeds = list(EVALUATION_SEEDS)
    return Samples([spec.sample_inputs(seed) for seed in seeds], seeds)


def example_samples(inputs: Sequence[Any]) -> Samples:
    """A user model's example inputs, the only inputs it comes with."""
    return Samples([tuple(inputs)], [], IN_SAMPLE)


def evaluate(
    module: Any, quantized: Any | None, lowered_program: Any, partitions: Sequence[Partition], samples: Samples
) -> Evaluation:
    """The float model, the quantized model and the lowered program on the evaluation samples."""
    import torch

    evaluation = Evaluation(
        seeds=samples.seeds,
        inputs=samples.inputs,
        eager=[],
        quantized=[] if quantized is not None else None,
        lowered=[],
        calls=[],
        partitions=len(partitions),
        quantization_points=quantization_points(quantized) if quantized is not None else 0,
        sampling=samples.sampling,
    )
    for sample in samples.inputs:
        with torch.no_grad():
            evaluation.eager.append(as_list(module(*sample)))
            if quantized is not None and evaluation.quantized is not None:
                evaluation.quantized.append(as_list(quantized(*sample)))
        outputs, calls = lowered_outputs(lowered_program, partitions, sample)
        evaluation.lowered.append(outputs)
        evaluation.calls.append(calls)
    return evaluation


@dataclass
class Evaluation:
    """The lowered program and its references on the evaluation samples, output by output."""

    seeds: list[int]
    inputs: list[tuple[Any, ...]]  # [sample][input] tensors
    eager: list[list[Any]]  # [sample][output] tensors
    quantized: list[list[Any]] | None
    lowered: list[list[Any]]
    calls: list[list[DelegateCall]]  # [sample][call]
    partitions: int
    quantization_points: int
    sampling: str | None = None


def write_numerics(
    directory: pathlib.Path, evaluation: Evaluation, quantization: Sequence[dict[str, Any] | None]
) -> None:
    """numerics/: per program input one .npy stacking the evaluation samples (axis 0), so that
    other executors (the C++ runner) can run the same samples; per output and reference one .npy
    stacking the evaluation samples; the first sample's delegate calls at TOSA level
    (call<i>_{input,output}<j>.npy); and numerics.json describing them.

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
    for index in range(len(evaluation.inputs[0])):
        stacked = np.stack([np.asarray(sample[index]) for sample in evaluation.inputs])
        np.save(folder / f"input_{index}.npy", stacked, allow_pickle=False)
    references = {"lowered": evaluation.lowered, "eager": evaluation.eager}
    if evaluation.quantized is not None:
        references["quantized"] = evaluation.quantized
    entries = []
    for index in range(len(evaluation.lowered[0])):
        for kind, samples in references.items():
            stacked = np.stack([sample[index].detach().numpy() for sample in samples])
            np.save(folder / f"{kind}_{index}.npy", stacked, allow_pickle=False)
        entries.append({"references": sorted(references), "quantization": quantization[index]})
    description: dict[str, Any] = {
        "outputs": entries,
        "evaluation_seeds": evaluation.seeds,
        "inputs": len(evaluation.inputs[0]),
        "delegated_partitions": evaluation.partitions,
        "delegate_calls_per_sample": [len(calls) for calls in evaluation.calls],
        "quantization_points": evaluation.quantization_points,
        "delegate_calls": [
            {"partition": c.partition, "tosa": c.tosa, "inputs": len(c.inputs), "outputs": len(c.outputs)}
            for c in first_calls
        ],
    }
    if evaluation.sampling is not None:
        description["evaluation"] = evaluation.sampling
    (folder / "numerics.json").write_text(json.dumps(description, indent=2, sort_keys=True) + "\n")


def as_list(outputs: Any) -> list[Any]:
    return list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
