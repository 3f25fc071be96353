"""Runs a compiled Ethos-U55 or U85 program's Ethos-U partitions on the functional model and checks them.

    ./bazel run //tools/ethosu:run -- --pte=x.pte --compile_intermediates=DIR [--outputs=OUT]

For every delegate call the compile recorded in DIR/numerics (the int8 tensors
it received), the partition's blob from the .pte runs on the model and its
TOSA graph (DIR holds the one Vela compiled) on the TOSA reference model; one
line per output says PASS (bit-exact) or FAIL with the largest difference in
quantization steps. With --outputs, the model's outputs are written there as
call<i>_output<j>.npy.

Exit codes: 0 every output bit-exact, 1 some output differs, 2 bad input (a
missing file, no Ethos-U delegate, a program the model rejects).
"""

import json
import pathlib
import sys

import numpy as np
from absl import app, flags

from tools.ethosu import model, pte
from tools.ethosu.partition import max_steps, run_partition

_PTE = flags.DEFINE_string("pte", None, "The .pte compiled for an Ethos-U55 or U85.", required=True)
_INTERMEDIATES = flags.DEFINE_string(
    "compile_intermediates", None, "The compile's --intermediates directory (TOSA graphs, numerics/).", required=True
)
_OUTPUTS = flags.DEFINE_string("outputs", None, "Directory for the model's outputs (.npy).")
_MODEL_LIBRARY = flags.DEFINE_string(
    "model_library", "runtime/ethos_u/libethos_u_model.so", "The model's shared library (runfiles path)."
)


def main(argv: list[str]) -> None:
    del argv
    from backend.evaluate import run_tosa

    intermediates = pathlib.Path(_INTERMEDIATES.value)
    numerics = intermediates / "numerics" / "numerics.json"
    try:
        lib = model.EthosUModel(_MODEL_LIBRARY.value)
        blobs = pte.delegate_blobs(pathlib.Path(_PTE.value).read_bytes())
        calls = json.loads(numerics.read_text())["delegate_calls"]
    except (OSError, ValueError) as error:  # ValueError: not a .pte, or numerics.json not JSON
        print(f"run: {error}", file=sys.stderr)
        sys.exit(2)
    if not blobs or not calls:
        print(f"run: {_PTE.value} has {len(blobs)} Ethos-U delegates and {numerics} {len(calls)} calls",
              file=sys.stderr)
        sys.exit(2)
    failed = False
    for number, call in enumerate(calls):
        folder = numerics.parent
        inputs = [np.load(folder / f"call{number}_input{i}.npy") for i in range(call["inputs"])]
        reference = run_tosa((intermediates / call["tosa"]).read_bytes(), inputs, call["tosa"])
        try:
            ours = run_partition(lib, blobs[call["partition"]], inputs, reference)
        except (model.EthosUError, ValueError) as error:
            print(f"run: call {number} (partition {call['partition']}): {error}", file=sys.stderr)
            sys.exit(2)
        for index, (got, want) in enumerate(zip(ours, reference, strict=True)):
            steps = max_steps(got, want)
            failed |= steps != 0
            verdict = "PASS bit-exact" if steps == 0 else f"FAIL max {steps} quantization steps"
            print(f"call {number} (partition {call['partition']}) output {index}: {verdict}")
            if _OUTPUTS.value:
                pathlib.Path(_OUTPUTS.value).mkdir(parents=True, exist_ok=True)
                np.save(pathlib.Path(_OUTPUTS.value) / f"call{number}_output{index}.npy", got, allow_pickle=False)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    app.run(main)
