"""Speed of the functional Ethos-U55 model next to the TOSA reference model on the same graph.

  bazel run //tools/bench:ethosu_model [-- --repeats=5]

A benchmark, not a test. By default MobileNetV2's U55 program of the coverage
table: for every delegate call the compile recorded (the int8 tensors it
received), the partition's blob from the .pte runs on the model, and the TOSA
graph Vela compiled runs on the TOSA reference model with the same inputs. One
inference is all the calls of one sample; each side is timed --repeats times
(wall clock, this process, after one untimed warm-up run) and the median is
printed with the ratio. The outputs of both are compared too, so a fast wrong
model shows.
"""

import json
import pathlib
import statistics
import sys
import time
from collections.abc import Callable
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


def _median_seconds(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of `run` over `repeats` calls after one warm-up, and its last result."""
    result = run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


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

    reference_seconds, reference = _median_seconds(tosa, _REPEATS.value)

    def npu() -> list[list[Any]]:
        return [run_partition(lib, blob, inputs, want)
                for (blob, _, _, inputs), want in zip(work, reference, strict=True)]

    model_seconds, ours = _median_seconds(npu, _REPEATS.value)
    steps = max(max_steps(got, want) for outs, wants in zip(ours, reference, strict=True)
                for got, want in zip(outs, wants, strict=True))
    print(f"program: {_PTE.value} ({len(work)} delegate call(s) per inference)")
    print(f"Ethos-U55 model:      {model_seconds:8.3f} s per inference (median of {_REPEATS.value})")
    print(f"TOSA reference model: {reference_seconds:8.3f} s per inference (median of {_REPEATS.value})")
    print(f"ratio: the model takes {model_seconds / reference_seconds:.2f}x the TOSA reference model's time "
          f"({reference_seconds / model_seconds:.2f}x faster)")
    print(f"outputs: {'bit-exact' if steps == 0 else f'max {steps} quantization steps apart'}")


if __name__ == "__main__":
    app.run(main)
