"""A compiled U55 program's delegated partitions on the functional model against the TOSA reference model.

For every delegate call the compile recorded (intermediates/numerics: the int8
tensors the call received), the partition's Ethos-U blob taken from the .pte's
own bytes runs on the model, and the same TOSA graph Vela compiled runs on the
TOSA reference model with the same inputs. The largest difference, in
quantization steps (integer units of the output), must equal the recorded
expectation: 0 is bit-exact, and any change in either direction shows.
"""

import json
import pathlib

import numpy as np
import numpy.typing as npt
from absl import flags
from absl.testing import absltest

from backend.compile import run_tosa
from tools.ethosu import model, pte

_PROGRAM = flags.DEFINE_string("pte", None, ".pte compiled for an Ethos-U55.", required=True)
_INTERMEDIATES = flags.DEFINE_string(
    "compile_intermediates", None, "The compile's intermediates directory.", required=True
)
_MODEL_LIBRARY = flags.DEFINE_string("model_library", None, "libethos_u_model.so.", required=True)
_EXPECTED_MAX_STEPS = flags.DEFINE_integer(
    "expected_max_steps", None, "Recorded largest difference in quantization steps (0: bit-exact).", required=True
)


def run_partition(lib: model.EthosUModel, blob_bytes: bytes, inputs: list[npt.NDArray[np.generic]],
                  outputs_like: list[npt.NDArray[np.generic]]) -> list[npt.NDArray[np.generic]]:
    """One delegate call on the model, with memory set up as ExecuTorch's Ethos-U backend does."""
    blob = lib.parse_blob(blob_bytes)
    if len(blob.inputs) != len(inputs) or len(blob.outputs) != len(outputs_like):
        raise AssertionError(f"blob has {len(blob.inputs)} inputs/{len(blob.outputs)} outputs, the call "
                             f"{len(inputs)}/{len(outputs_like)}")
    scratch = np.zeros(blob.scratch_size, dtype=np.uint8)
    for index, (info, array) in enumerate(zip(blob.inputs, inputs, strict=True)):
        data = np.ascontiguousarray(array).tobytes()
        if info.region != 1 or len(data) != info.size:
            raise AssertionError(f"input {index}: {len(data)} bytes for {info}")
        scratch[info.offset:info.offset + len(data)] = np.frombuffer(data, dtype=np.uint8)
    weights = np.frombuffer(blob.weight_data or b"\0", dtype=np.uint8).copy()
    lib.execute(blob.cmd_data, [weights, scratch, np.zeros(0, dtype=np.uint8)])
    results = []
    for index, (info, like) in enumerate(zip(blob.outputs, outputs_like, strict=True)):
        if info.region != 1 or info.size != like.nbytes:
            raise AssertionError(f"output {index}: {like.nbytes} bytes expected, blob says {info}")
        data = scratch[info.offset:info.offset + info.size].tobytes()
        results.append(np.frombuffer(data, dtype=like.dtype).reshape(like.shape))
    return results


class NpuTest(absltest.TestCase):
    def test_partitions_match_tosa_reference(self) -> None:
        lib = model.EthosUModel(_MODEL_LIBRARY.value)
        blobs = pte.delegate_blobs(pathlib.Path(_PROGRAM.value).read_bytes())
        numerics = pathlib.Path(_INTERMEDIATES.value) / "numerics"
        calls = json.loads((numerics / "numerics.json").read_text())["delegate_calls"]
        self.assertGreater(len(calls), 0, "the compile recorded no delegate call")
        worst = 0
        for number, call in enumerate(calls):
            inputs = [np.load(numerics / f"call{number}_input{i}.npy") for i in range(call["inputs"])]
            graph = (pathlib.Path(_INTERMEDIATES.value) / call["tosa"]).read_bytes()
            reference = run_tosa(graph, inputs, call["tosa"])
            ours = run_partition(lib, blobs[call["partition"]], inputs, reference)
            for index, (got, want) in enumerate(zip(ours, reference, strict=True)):
                steps = int(np.abs(got.astype(np.int64) - want.astype(np.int64)).max(initial=0))
                print(f"call {number} (partition {call['partition']}) output {index}: "
                      f"{'bit-exact' if steps == 0 else f'max {steps} steps'}")
                worst = max(worst, steps)
        self.assertEqual(worst, _EXPECTED_MAX_STEPS.value,
                         "largest difference from the TOSA reference model, in quantization steps")


if __name__ == "__main__":
    absltest.main()
