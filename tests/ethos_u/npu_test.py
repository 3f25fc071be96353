"""A compiled Ethos-U55 or U85 program's delegated partitions on the functional model against the TOSA
reference model.

For every delegate call the compile recorded (intermediates/numerics: the int8
tensors the call received), the partition's Ethos-U blob taken from the .pte's
own bytes runs on the model, and the same TOSA graph Vela compiled runs on the
TOSA reference model with the same inputs. The largest difference, in
quantization steps (integer units of the output), must equal the recorded
expectation: 0 is bit-exact, and any change in either direction shows.

Why per call is the whole program: the compile's lowered program (what
//backend:numerics checks) is its CPU part with every delegate call on the TOSA
reference model, and the recorded inputs are what each call received there. The
same CPU part with the calls on this model is the deployed program's function.
The CPU part is deterministic and identical on both sides, so if every call is
bit-exact on the inputs it received, by induction over the calls in execution
order each call receives the same inputs in both programs, and the program's
outputs are equal bit for bit. That holds for an entry recorded at 0 steps (all
of them today); for an entry with a non-zero record, the per-call difference bounds
only that call, not how it propagates through later calls and the CPU part.
The calls are those of the first evaluation sample, and every Ethos-U partition
of the .pte must be among them.
"""

import json
import pathlib

import numpy as np
from absl import flags
from absl.testing import absltest

from backend.evaluate import run_tosa
from tools.ethosu import model, pte
from tools.ethosu.partition import fast_scratch_size, max_steps, run_partition

_PROGRAM = flags.DEFINE_string("pte", None, ".pte compiled for an Ethos-U55 or U85.", required=True)
_INTERMEDIATES = flags.DEFINE_string(
    "compile_intermediates", None, "The compile's intermediates directory.", required=True
)
_MODEL_LIBRARY = flags.DEFINE_string("model_library", None, "libethos_u_model.so.", required=True)
_REPORT = flags.DEFINE_string(
    "compile_report", None, "The compile's report.json, for the fast scratch a Dedicated_Sram program needs."
)
_EXPECTED_MAX_STEPS = flags.DEFINE_integer(
    "expected_max_steps", None, "Recorded largest difference in quantization steps (0: bit-exact).", required=True
)


class NpuTest(absltest.TestCase):
    def test_partitions_match_tosa_reference(self) -> None:
        lib = model.EthosUModel(_MODEL_LIBRARY.value)
        blobs = pte.delegate_blobs(pathlib.Path(_PROGRAM.value).read_bytes())
        numerics = pathlib.Path(_INTERMEDIATES.value) / "numerics"
        calls = json.loads((numerics / "numerics.json").read_text())["delegate_calls"]
        self.assertGreater(len(calls), 0, "the compile recorded no delegate call")
        self.assertEqual({call["partition"] for call in calls}, set(range(len(blobs))),
                         "the recorded calls run every Ethos-U partition of the .pte")
        fast_scratch = fast_scratch_size(json.loads(pathlib.Path(_REPORT.value).read_text())) if _REPORT.value else 0
        worst = 0
        for number, call in enumerate(calls):
            inputs = [np.load(numerics / f"call{number}_input{i}.npy") for i in range(call["inputs"])]
            graph = (pathlib.Path(_INTERMEDIATES.value) / call["tosa"]).read_bytes()
            reference = run_tosa(graph, inputs, call["tosa"])
            ours = run_partition(lib, blobs[call["partition"]], inputs, reference, fast_scratch)
            for index, (got, want) in enumerate(zip(ours, reference, strict=True)):
                steps = max_steps(got, want)
                print(f"call {number} (partition {call['partition']}) output {index}: "
                      f"{'bit-exact' if steps == 0 else f'max {steps} steps'}")
                worst = max(worst, steps)
        self.assertEqual(worst, _EXPECTED_MAX_STEPS.value,
                         "largest difference from the TOSA reference model, in quantization steps")


if __name__ == "__main__":
    absltest.main()
