"""Speed of the functional Ethos-U55 model next to the TOSA reference model on the same graph.

  bazel run //tools/bench:ethosu_model [-- --repeats=5]

A benchmark, not a test. By default MobileNetV2's U55 program of the coverage
table: for every delegate call the compile recorded (the int8 tensors it
received), the partition's blob from the .pte runs on the model, and the TOSA
graph Vela compiled runs on the TOSA reference model with the same inputs. One
inference is all the calls of one sample; each side is timed --repeats times
after one untimed warm-up run, and the medians of the wall time and of this
process's CPU time (which a busy machine inflates less) are printed with the
ratio. The outputs of both are compared too, so a fast wrong
model shows.
"""

import json
import pathlib
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from absl import app, flags

from backend.evaluate import run_tosa
from tools.ethosu import model, pte
from tools.ethosu.partition import max_steps, run_partition

_PTE = flags.DEFINE_string("pte", None, "The .pte compiled for an Ethos-U55.", required=True)
_INTERMEDIATES = flags.DEFINE_string(
    "compile_intermediates", None, "The compile's --intermediates directory (TOSA graphs, numerics/).", required=True
)
_MODEL_LIBRARY = flags.DEFINE_string("model_library", None, "libethos_u_model.so.", required=True)
_REPEATS = flags.DEFINE_integer("repeats", 5, "Timed inferences per side.", lower_bound=1)


@dataclass(frozen=True)
class Timing:
    wall: float  # median seconds per inference
    cpu: float

    def __str__(self) -> str:
        return f"{self.wall:8.3f} s per inference ({self.cpu:.3f} s CPU)"


def _time(run: Callable[[], Any], repeats: int) -> tuple[Timing, Any]:
    """Median wall and CPU time of `run` over `repeats` calls after one warm-up, and its last result."""
    result = run()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return Timing(statistics.median(wall), statistics.median(cpu)), result


def main(argv: list[str]) -> None:
    del argv
    intermediates = pathlib.Path(_INTERMEDIATES.value)
    numerics = intermediates / "numerics"
    try:
        lib = model.EthosUModel(_MODEL_LIBRARY.value)
        blobs = pte.delegate_blobs(pathlib.Path(_PTE.value).read_bytes())
        calls = json.loads((numerics / "numerics.json").read_text())["delegate_calls"]
        work = [
            (
                blobs[call["partition"]],
                (intermediates / call["tosa"]).read_bytes(),
                call["tosa"],
                [np.load(numerics / f"call{number}_input{i}.npy") for i in range(call["inputs"])],
            )
            for number, call in enumerate(calls)
        ]
    except (OSError, ValueError, KeyError, IndexError) as error:
        print(f"ethosu_model: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(2)
    if not work:
        print(f"ethosu_model: {numerics} records no delegate call", file=sys.stderr)
        sys.exit(2)

    def tosa() -> list[list[Any]]:
        return [run_tosa(graph, inputs, name) for _, graph, name, inputs in work]

    reference_time, reference = _time(tosa, _REPEATS.value)

    def npu() -> list[list[Any]]:
        return [run_partition(lib, blob, inputs, want)
                for (blob, _, _, inputs), want in zip(work, reference, strict=True)]

    model_time, ours = _time(npu, _REPEATS.value)
    steps = max(max_steps(got, want) for outs, wants in zip(ours, reference, strict=True)
                for got, want in zip(outs, wants, strict=True))
    print(f"program: {_PTE.value} ({len(work)} delegate call(s) per inference)")
    print(f"Ethos-U55 model:      {model_time} (medians of {_REPEATS.value})")
    print(f"TOSA reference model: {reference_time} (medians of {_REPEATS.value})")
    print(f"ratio: the model takes {model_time.wall / reference_time.wall:.2f}x the TOSA reference model's wall "
          f"time, {model_time.cpu / reference_time.cpu:.2f}x its CPU time")
    print(f"outputs: {'bit-exact' if steps == 0 else f'max {steps} quantization steps apart'}")


if __name__ == "__main__":
    app.run(main)
