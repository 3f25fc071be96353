"""Delegated Ethos-U55 or U85 programs end to end in the C++ runner, NPU part on the functional model.

For every program given (its .pte and its compile's intermediates), the runner
given by --runner (the host binary, or the aarch64 binary under qemu-aarch64)
runs the whole program, its CPU part on ExecuTorch's kernels and its Ethos-U
partitions through the "EthosUBackend" delegate of //runtime/ethos_u_delegate,
on the compile's evaluation samples (numerics/input_<i>.npy). Its outputs must:
- equal, bit for bit, the lowered program's outputs that the compile recorded
  (numerics/lowered_<j>.npy: the CPU part as ExecuTorch's operators in PyTorch,
  the NPU part on the TOSA reference model). The NPU part is bit-exact on the
  model (tests/ethos_u/npu_expectations.bzl records 0 steps for these entries,
  NPU_MAX_STEPS for the U55, U85_NPU_MAX_STEPS for the U85)
  and quantize/dequantize compute the same float32 expressions in both, so any
  difference is a fault of the delegate (layout, offsets, dtypes) or the runner;
- pass the compile's own numerics check against PyTorch when they stand in for
  the lowered outputs (backend/numerics.py, same bounds).
An ETDump holds one delegate event per call; bad delegate blobs must be
refused at load with the runner's exit code 4.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import tempfile

import numpy as np
import numpy.typing as npt
from absl import flags
from absl.testing import absltest

from backend import numerics
from tools.ethosu.partition import fast_scratch_size

_RUNNER = flags.DEFINE_string("runner", None, "executor_runner (or its qemu wrapper), runfiles path.")
_PROGRAMS = flags.DEFINE_multi_string("program", [], "A delegated program's .pte, runfiles path.")
_INTERMEDIATES = flags.DEFINE_multi_string(
    "program_intermediates", [], "That program's compile intermediates (numerics/), in --program's order."
)
_REPORTS = flags.DEFINE_multi_string(
    "program_report", [], "That program's compile report (for its fast scratch), in --program's order."
)
_SAMPLES = flags.DEFINE_integer("samples", 0, "Evaluation samples run per program (0: all).")
_TIMEOUT = flags.DEFINE_integer("timeout", 600, "Seconds one runner invocation may take.")

EXIT_OK = 0
EXIT_INVALID_PROGRAM = 4
BLOB_MARKER = b"vela_bin_stream"
# The name the delegate gives its profiling event (runtime/ethos_u_delegate).
DELEGATE_EVENT = "EthosUBackend::execute (functional model)"


def run_runner(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(_RUNNER.value), *args], capture_output=True, text=True, timeout=_TIMEOUT.value,
                          check=False)


class EthosUDelegateTest(absltest.TestCase):
    def programs(self) -> list[tuple[pathlib.Path, pathlib.Path]]:
        self.assertEqual(len(_PROGRAMS.value), len(_INTERMEDIATES.value))
        self.assertTrue(_PROGRAMS.value, "no --program given")
        return [(pathlib.Path(p), pathlib.Path(i)) for p, i in zip(_PROGRAMS.value, _INTERMEDIATES.value, strict=True)]

    def fast_scratch_bytes(self, pte: pathlib.Path) -> int:
        """What the platform gives the program as fast scratch: its SRAM under Dedicated_Sram."""
        self.assertEqual(len(_REPORTS.value), len(_PROGRAMS.value), "one --program_report per --program")
        report = _REPORTS.value[_PROGRAMS.value.index(str(pte))]
        return fast_scratch_size(json.loads(pathlib.Path(report).read_text()))

    def test_outputs_equal_the_lowered_program_and_pass_the_numerics_check(self) -> None:
        for pte, intermediates in self.programs():
            with self.subTest(program=pte.name), tempfile.TemporaryDirectory() as tmp:
                folder = intermediates / "numerics"
                description = json.loads((folder / "numerics.json").read_text())
                self.assertGreater(description["delegated_partitions"], 0, "the program delegates nothing")
                inputs = [np.load(folder / f"input_{i}.npy") for i in range(description["inputs"])]
                lowered = [np.load(folder / f"lowered_{j}.npy") for j in range(len(description["outputs"]))]
                samples = len(inputs[0]) if _SAMPLES.value == 0 else min(_SAMPLES.value, len(inputs[0]))
                outputs: list[list[npt.NDArray[np.generic]]] = [[] for _ in lowered]
                for sample in range(samples):
                    work = pathlib.Path(tmp, f"sample{sample}")
                    work.mkdir()
                    files = []
                    for i, stacked in enumerate(inputs):
                        files.append(work / f"input{i}.bin")
                        np.ascontiguousarray(stacked[sample]).tofile(files[-1])
                    result = run_runner([f"--model_path={pte}", "--input_files=" + ",".join(map(str, files)),
                                         f"--output_dir={work}",
                                         f"--ethosu_fast_scratch_bytes={self.fast_scratch_bytes(pte)}"])
                    self.assertEqual(result.returncode, EXIT_OK, result.stdout + result.stderr)
                    if self.fast_scratch_bytes(pte) and sample == 0:
                        # The flag is what makes a Dedicated_Sram program run: without it, a clear error.
                        refused = run_runner([f"--model_path={pte}", f"--input_files={','.join(map(str, files))}"])
                        self.assertNotEqual(refused.returncode, EXIT_OK, refused.stdout)
                        self.assertIn("region 2", refused.stderr)
                    calls = description["delegate_calls_per_sample"][sample]
                    self.assertIn("of which Ethos-U functional model:", result.stdout)
                    self.assertIn(f"({calls:.1f} delegate call(s))", result.stdout)
                    self.assertIn("memory: Ethos-U delegate 0: command stream", result.stdout)
                    for j, expected in enumerate(lowered):
                        got = np.fromfile(work / f"output_{j}.bin", dtype=expected.dtype).reshape(expected.shape[1:])
                        np.testing.assert_array_equal(got, expected[sample], err_msg=f"{pte.name} output {j}")
                        outputs[j].append(got)
                if samples < len(inputs[0]):
                    continue
                # The runner's outputs in place of the lowered ones, through the compile's check.
                copy = pathlib.Path(tmp, "intermediates")
                shutil.copytree(intermediates, copy)
                for j, per_sample in enumerate(outputs):
                    np.save(copy / "numerics" / f"lowered_{j}.npy", np.stack(per_sample), allow_pickle=False)
                # Raises NumericsError naming every comparison when one fails.
                self.assertTrue(numerics.check(copy))

    def test_etdump_records_each_delegate_call_as_its_own_event(self) -> None:
        from executorch.devtools.etdump.serialize import deserialize_from_etdump_flatcc

        pte, intermediates = self.programs()[0]
        description = json.loads((intermediates / "numerics" / "numerics.json").read_text())
        with tempfile.TemporaryDirectory() as tmp:
            etdump = pathlib.Path(tmp, "program.etdp")
            result = run_runner([f"--model_path={pte}", "--inputs=random", "--num_inferences=2",
                                 f"--etdump_path={etdump}"])
            self.assertEqual(result.returncode, EXIT_OK, result.stdout + result.stderr)
            runs = deserialize_from_etdump_flatcc(etdump.read_bytes()).run_data
        # Run 0 is the method's load; then one run per inference.
        self.assertEqual(len(runs), 3)
        for run in runs[1:]:
            delegate_events = [e.profile_event for e in run.events if e.profile_event is not None
                               and e.profile_event.delegate_debug_id_str == DELEGATE_EVENT]
            self.assertEqual(len(delegate_events), description["delegate_calls_per_sample"][0])
            for event in delegate_events:
                self.assertGreater(event.end_time, event.start_time)

    def test_a_corrupt_blob_is_refused_at_load(self) -> None:
        pte, _ = self.programs()[0]
        data = bytearray(pte.read_bytes())
        marker = data.find(BLOB_MARKER)
        self.assertGreater(marker, 0, "no Ethos-U blob in the program")
        with tempfile.TemporaryDirectory() as tmp:
            # The first block's name becomes unknown: the blob no longer parses.
            data[marker:marker + len(BLOB_MARKER)] = b"x" * len(BLOB_MARKER)
            corrupt = pathlib.Path(tmp, "corrupt.pte")
            corrupt.write_bytes(bytes(data))
            result = run_runner([f"--model_path={corrupt}", "--inputs=zeros"])
            self.assertEqual(result.returncode, EXIT_INVALID_PROGRAM, result.stdout + result.stderr)
            self.assertIn("Ethos-U delegate:", result.stderr)


if __name__ == "__main__":
    absltest.main()
