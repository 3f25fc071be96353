"""What the lowered program is made of: its delegated partitions, their operators and TOSA
graphs, the operators left to the CPU and why the partitioner left them there."""

from __future__ import annotations

import contextlib
import pathlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from backend.vela import VelaRun


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


def match_vela_runs(partitions: Sequence[Partition], runs: Sequence[VelaRun]) -> None:
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


def attach_tosa(partitions: Sequence[Partition], tosa_spec: str, dump: pathlib.Path | None) -> None:
    """Finds the exact TOSA graph of each partition.

    For Ethos-U it is the flatbuffer Vela compiled; for TOSA targets the
    delegate blob itself. VGF delegates hold VGF: the TOSA comes from
    ExecuTorch's own dump, output_<tag>_<spec>.tosa (output_<spec>.tosa for an
    untagged partition), named by the partition's delegation tag as the Arm
    backend names it. Tags follow the partitioner's discovery order, which is
    not always the partitions' order in the graph (a CPU fallback between two
    delegated parts reversed them).
    """
    from executorch.backends.arm.tosa.backend import arm_get_first_delegation_tag

    for index, partition in enumerate(partitions):
        partition.tosa_name = f"output_tag{index}_{tosa_spec}.tosa"
        if partition.vela is not None:
            partition.tosa = partition.vela.tosa
        elif partition.lowered.backend_id == "TOSABackend":
            partition.tosa = partition.lowered.processed_bytes
        elif dump is not None:
            tag = arm_get_first_delegation_tag(partition.lowered.original_module.graph_module)
            dumped = dump / f"output{'_' + tag if tag else ''}_{tosa_spec}.tosa"
            untagged = dump / f"output_{tosa_spec}.tosa"
            # The backend finds no tag in some single-partition graphs (exp for vgf)
            # and dumps them untagged; with one partition that dump is unambiguous.
            if not dumped.is_file() and len(partitions) == 1 and untagged.is_file():
                dumped = untagged
            if not dumped.is_file():
                names = sorted(d.name for d in dump.glob("output_*.tosa"))
                raise NumericsUnavailable(f"partition {index} (tag {tag!r}) has no TOSA dump {dumped.name}: {names}")
            partition.tosa_name, partition.tosa = dumped.name, dumped.read_bytes()


def output_quantization(exported: Any) -> list[dict[str, Any] | None]:
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


def quantization_points(module: Any) -> int:
    """Tensors the quantized model rounds (activations and weights): its dequantize nodes."""
    return sum(1 for n in module.graph.nodes if n.op == "call_function" and "dequantize_per" in op_name(n.target))
