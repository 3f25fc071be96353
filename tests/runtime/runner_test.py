"""executor_runner end to end: numerics against PyTorch eager, errors, reports.

Runs the runner given by --runner (the host binary, or the aarch64 binary
wrapped to run under qemu-aarch64) on the programs that gen_programs exported
in a Bazel action.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re
import subprocess
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import torch
from absl import flags
from absl.testing import absltest
from executorch.devtools import BundledProgram
from executorch.devtools.bundled_program.config import (
    MethodTestCase,
    MethodTestSuite,
)
from executorch.devtools.bundled_program.schema import (
    bundled_program_schema as bundled_schema,
)
from executorch.devtools.bundled_program.serialize import (
    deserialize_from_flatbuffer_to_bundled_program,
    serialize_from_bundled_program_to_flatbuffer,
)
from executorch.exir import schema as program_schema
from executorch.exir._serialize._program import (
    deserialize_pte_binary,
    serialize_pte_binary,
)

from tests.runtime import models
from tools.etdump import bpte_unbundle, etdump_to_chrome_trace

_RUNNER = flags.DEFINE_string(
    "runner", None, "executor_runner (or its qemu wrapper), runfiles path."
)
_PROGRAMS_DIR = flags.DEFINE_string(
    "programs_dir", "tests/runtime/programs", "Directory of the generated programs."
)
_TIMEOUT = flags.DEFINE_integer(
    "timeout", 120, "Seconds one runner invocation may take."
)

# Exit codes of executor_runner (runtime/executor_runner/README.md).
EXIT_USAGE = 2
EXIT_IO = 3
EXIT_INVALID_PROGRAM = 4
EXIT_MISSING_OPERATOR = 5
EXIT_BAD_INPUT = 6
EXIT_ARENA_TOO_SMALL = 7
EXIT_VERIFICATION = 9
EXIT_UNSUPPORTED = 10

# The runner's default --bundled_atol and --bundled_rtol.
RUNNER_ATOL = 1e-4
RUNNER_RTOL = 1e-4

# One bundled test case: inputs and expected outputs.
BundledCase = tuple[Sequence[torch.Tensor], Sequence[torch.Tensor]]

_NUMPY_DTYPES: dict[torch.dtype, npt.DTypeLike] = {
    torch.float32: np.float32,
    torch.float64: np.float64,
    torch.int64: np.int64,
    torch.int32: np.int32,
    torch.int16: np.int16,
    torch.int8: np.int8,
    torch.uint8: np.uint8,
    torch.bool: np.bool_,
}


@dataclasses.dataclass(frozen=True)
class Run:
    """One runner invocation."""

    returncode: int
    stdout: str
    stderr: str


def program(name: str) -> pathlib.Path:
    return pathlib.Path(_PROGRAMS_DIR.value) / name


def run_runner(*args: str) -> Run:
    runner = _RUNNER.value
    if not runner:
        raise ValueError("--runner is required")
    proc = subprocess.run(
        [str(pathlib.Path(runner).absolute()), *args],
        capture_output=True,
        text=True,
        # A corrupted file can put any bytes into what the runner echoes.
        errors="backslashreplace",
        timeout=_TIMEOUT.value,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def read_tensor(path: pathlib.Path, like: torch.Tensor) -> torch.Tensor:
    """A raw .bin file as a tensor of `like`'s dtype and shape."""
    array = np.fromfile(path, dtype=_NUMPY_DTYPES[like.dtype])
    return torch.from_numpy(array.reshape(tuple(like.shape)).copy())


def write_tensor(path: pathlib.Path, tensor: torch.Tensor) -> None:
    path.write_bytes(tensor.contiguous().numpy().tobytes())


def write_bpte(
    path: pathlib.Path, pte: pathlib.Path, suites: dict[str, list[BundledCase]]
) -> pathlib.Path:
    """Bundles the program `pte` with test cases per method, through
    executorch's Python API (which takes the expected outputs as given)."""
    bundled = BundledProgram(
        None,
        [
            MethodTestSuite(
                method,
                [MethodTestCase(list(inputs), list(expected)) for inputs, expected in cases],
            )
            for method, cases in suites.items()
        ],
        pte_file_path=str(pte),
    )
    path.write_bytes(serialize_from_bundled_program_to_flatbuffer(bundled))
    return path


def bundled_add_still_passes(data: bytes) -> tuple[bool, str]:
    """Whether a (corrupted) add.bpte, read by executorch's Python deserializer
    (a reader independent of the runner's), still holds add.pte and a 'forward'
    test case whose expected outputs are PyTorch eager's outputs of its inputs
    within the runner's default tolerances; and why not."""
    try:
        bundled = deserialize_from_flatbuffer_to_bundled_program(data)
    except Exception as error:  # any failure of the reader is a "no"
        return False, f"the Python reader rejects it ({type(error).__name__})"
    if bytes(bundled.program) != program("add.pte").read_bytes():
        return False, "the embedded program differs from add.pte"
    suites = [suite for suite in bundled.method_test_suites if suite.method_name == "forward"]
    if len(suites) != 1 or not suites[0].test_cases:
        return False, "no test case for 'forward'"
    example = models.example_inputs("add")
    for k, case in enumerate(suites[0].test_cases):
        values = [value.val for value in [*case.inputs, *case.expected_outputs]]
        if not all(
            isinstance(v, bundled_schema.Tensor)
            and v.scalar_type == bundled_schema.ScalarType.FLOAT
            and list(v.sizes) == [2, 3]
            and len(v.data) == 2 * 3 * 4
            for v in values
        ) or len(case.inputs) != len(example):
            return False, f"test case {k}: not two Float[2, 3] inputs and Float[2, 3] outputs"
        tensors = [torch.frombuffer(bytearray(bytes(v.data)), dtype=torch.float32).reshape(2, 3) for v in values]
        inputs, expected = tensors[: len(example)], tensors[len(example) :]
        eager = models.eager_outputs("add", tuple(inputs))
        if len(eager) != len(expected) or not all(
            torch.allclose(got, want, atol=RUNNER_ATOL, rtol=RUNNER_RTOL)
            for got, want in zip(eager, expected, strict=True)
        ):
            return False, f"test case {k}: the expected outputs are not eager's"
    return True, "passes"


def eager_cases(name: str, seeds: Sequence[int]) -> list[BundledCase]:
    """Test cases of model `name` with PyTorch eager's outputs."""
    cases: list[BundledCase] = []
    for seed in seeds:
        inputs = models.example_inputs(name, seed=seed)
        cases.append((inputs, models.eager_outputs(name, inputs)))
    return cases


class RunnerTest(absltest.TestCase):
    def assert_ok(self, result: Run) -> None:
        self.assertEqual(
            result.returncode,
            0,
            msg=f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}",
        )
        self.assertEqual(result.stdout.splitlines()[-1], "executor_runner: OK")

    def assert_error(self, result: Run, code: int, pattern: str) -> None:
        """A clean failure: the expected exit code and one matching line."""
        self.assertEqual(
            result.returncode,
            code,
            msg=f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}",
        )
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, msg=result.stderr)
        self.assertRegex(lines[0], "^executor_runner: error: ")
        self.assertRegex(lines[0], pattern)

    def assert_outputs_match(
        self, out_dir: pathlib.Path, expected: list[torch.Tensor]
    ) -> None:
        for i, want in enumerate(expected):
            got = read_tensor(out_dir / f"output_{i}.bin", want)
            if want.dtype.is_floating_point:
                np.testing.assert_allclose(
                    got.numpy(),
                    want.numpy(),
                    rtol=1e-5,
                    atol=1e-5,
                    err_msg=f"output {i}",
                )
            else:
                np.testing.assert_array_equal(
                    got.numpy(), want.numpy(), err_msg=f"output {i}"
                )

    # --- numerics ---------------------------------------------------------

    def test_input_files_match_eager(self) -> None:
        for name in models.MODELS:
            with self.subTest(model=name):
                self.check_input_files_match_eager(name)

    def check_input_files_match_eager(self, name: str) -> None:
        tmp = pathlib.Path(self.create_tempdir().full_path)
        inputs = models.example_inputs(name, seed=1)
        files = []
        for i, tensor in enumerate(inputs):
            files.append(tmp / f"in_{i}.bin")
            write_tensor(files[-1], tensor)
        result = run_runner(
            f"--model_path={program(name + '.pte')}",
            f"--input_files={','.join(map(str, files))}",
            f"--output_dir={tmp / 'out'}",
        )
        self.assert_ok(result)
        self.assert_outputs_match(tmp / "out", models.eager_outputs(name, inputs))

    def test_random_inputs_match_eager(self) -> None:
        for name in models.MODELS:
            with self.subTest(model=name):
                self.check_random_inputs_match_eager(name)

    def check_random_inputs_match_eager(self, name: str) -> None:
        tmp = pathlib.Path(self.create_tempdir().full_path)
        result = run_runner(
            f"--model_path={program(name + '.pte')}",
            "--inputs=random",
            "--seed=7",
            f"--output_dir={tmp}",
        )
        self.assert_ok(result)
        like = models.example_inputs(name)
        inputs = tuple(
            read_tensor(tmp / f"input_{i}.bin", t) for i, t in enumerate(like)
        )
        for tensor in inputs:
            if tensor.dtype == torch.bool:
                continue
            if tensor.dtype.is_floating_point:
                self.assertTrue(bool(((tensor >= -1) & (tensor < 1)).all()))
            else:
                self.assertTrue(bool(((tensor >= -8) & (tensor <= 8)).all()))
        self.assert_outputs_match(tmp, models.eager_outputs(name, inputs))

    def test_random_inputs_depend_on_seed(self) -> None:
        outputs = []
        for seed in (1, 1, 2):
            tmp = pathlib.Path(self.create_tempdir().full_path)
            self.assert_ok(
                run_runner(
                    f"--model_path={program('mlp.pte')}",
                    "--inputs=random",
                    f"--seed={seed}",
                    f"--output_dir={tmp}",
                )
            )
            outputs.append((tmp / "output_0.bin").read_bytes())
        self.assertEqual(outputs[0], outputs[1])
        self.assertNotEqual(outputs[0], outputs[2])

    def test_generated_constant_inputs(self) -> None:
        for fill, want in (("zeros", 0.0), ("ones", 2.0)):
            with self.subTest(fill=fill):
                tmp = pathlib.Path(self.create_tempdir().full_path)
                self.assert_ok(
                    run_runner(
                        f"--model_path={program('add.pte')}",
                        f"--inputs={fill}",
                        f"--output_dir={tmp}",
                    )
                )
                got = np.fromfile(tmp / "output_0.bin", dtype=np.float32)
                np.testing.assert_array_equal(got, np.full(6, want, dtype=np.float32))

    def test_bool_and_int_outputs_are_printed(self) -> None:
        result = run_runner(f"--model_path={program('compare.pte')}", "--inputs=ones")
        self.assert_ok(result)
        self.assertIn(
            "output 0: tensor Bool[3, 4], 12 bytes: [false, false", result.stdout
        )
        self.assertIn("output 1: tensor Long[3, 4], 96 bytes: [4, 4", result.stdout)
        self.assertIn("output 2: tensor Int[3, 4], 48 bytes: [2, 2", result.stdout)

    # --- timing and reports -----------------------------------------------

    def test_num_inferences_prints_exactly_n_lines(self) -> None:
        result = run_runner(
            f"--model_path={program('mlp.pte')}", "--num_inferences", "3"
        )
        self.assert_ok(result)
        lines = [
            line for line in result.stdout.splitlines() if line.startswith("inference ")
        ]
        self.assertEqual(len(lines), 3, msg=result.stdout)
        for i, line in enumerate(lines, start=1):
            self.assertRegex(line, rf"^inference {i}/3: \d+\.\d{{3}} ms$")
        self.assertRegex(
            result.stdout, r"(?m)^average: \d+\.\d{3} ms over 3 inference\(s\)$"
        )

    def test_memory_report(self) -> None:
        result = run_runner(f"--model_path={program('mlp.pte')}")
        self.assert_ok(result)
        self.assertRegex(
            result.stdout, r"(?m)^memory: planned buffer 0 \(memory id 1\): \d+ bytes$"
        )
        peak = re.search(
            r"(?m)^memory: method arena: peak (\d+) of (\d+) bytes", result.stdout
        )
        assert peak is not None, result.stdout
        self.assertGreater(int(peak.group(1)), 0)
        self.assertLessEqual(int(peak.group(1)), int(peak.group(2)))
        self.assertRegex(
            result.stdout, r"(?m)^memory: temp arena: peak \d+ of 1048576 bytes"
        )

    def test_method_arena_too_small_names_the_need(self) -> None:
        result = run_runner(
            f"--model_path={program('mlp.pte')}", "--method_arena_bytes=64"
        )
        self.assert_error(
            result,
            EXIT_ARENA_TOO_SMALL,
            r"method arena too small: needs \d+ bytes, 64 available",
        )
        match = re.search(r"needs (\d+) bytes", result.stderr)
        assert match is not None
        needed = int(match.group(1))
        # The measured need is exact: that many bytes suffice, one fewer do not.
        self.assert_ok(
            run_runner(
                f"--model_path={program('mlp.pte')}", f"--method_arena_bytes={needed}"
            )
        )
        self.assert_error(
            run_runner(
                f"--model_path={program('mlp.pte')}",
                f"--method_arena_bytes={needed - 1}",
            ),
            EXIT_ARENA_TOO_SMALL,
            rf"method arena too small: needs {needed} bytes, {needed - 1} available",
        )

    def test_etdump_converts_to_chrome_trace(self) -> None:
        tmp = pathlib.Path(self.create_tempdir().full_path)
        etdump = tmp / "mlp.etdp"
        result = run_runner(
            f"--model_path={program('mlp.pte')}",
            "--num_inferences=2",
            f"--etdump_path={etdump}",
        )
        self.assert_ok(result)
        self.assertGreater(etdump.stat().st_size, 0)
        for etrecord in (None, program("mlp_etrecord.bin")):
            trace = etdump_to_chrome_trace.build_trace(etdump, etrecord)
            json.loads(json.dumps(trace))
            ops = [
                e
                for e in trace["traceEvents"]
                if e["ph"] == "X" and e["name"].startswith("native_call_")
            ]
            self.assertTrue(ops, msg="no operator events")
            self.assertEqual({e["args"]["run"] for e in ops}, {0, 1})
            self.assertTrue(all(e["dur"] >= 0 and e["ts"] >= 0 for e in ops))
            if etrecord is not None:
                self.assertTrue(any("stack_traces" in e["args"] for e in ops))

    # --- bundled programs -------------------------------------------------

    def bpte(self, pte: str, suites: dict[str, list[BundledCase]]) -> pathlib.Path:
        tmp = pathlib.Path(self.create_tempdir().full_path)
        return write_bpte(tmp / pte.replace(".pte", ".bpte"), program(pte), suites)

    def test_bpte_outputs_pass(self) -> None:
        # float32, int64, int32 and bool inputs; bool, int64, int32 outputs.
        compare = self.bpte("compare.pte", {"forward": eager_cases("compare", [1, 2])})
        # int8 inputs; int8 and bool outputs.
        int8 = self.bpte("int8.pte", {"forward": eager_cases("int8", [1, 2, 3])})
        for path, cases, outputs in ((compare, 2, 4), (int8, 3, 2)):
            with self.subTest(program=path.name):
                result = run_runner(f"--model_path={path}")
                self.assert_ok(result)
                self.assertIn("bundled: schema BP08 version 2, ", result.stdout)
                passes = re.findall(
                    r"(?m)^test case (\d+): output (\d+): PASS \(max abs error 0, atol 0\.0001, rtol 0\.0001\)$",
                    result.stdout,
                )
                self.assertEqual(
                    passes,
                    [(str(k), str(i)) for k in range(cases) for i in range(outputs)],
                    msg=result.stdout,
                )
                self.assertIn(
                    f"bundled: {cases} test case(s) of method 'forward': "
                    f"{cases * outputs} output(s) compared: {cases * outputs} PASS, 0 FAIL",
                    result.stdout,
                )
                self.assertRegex(result.stdout, r"(?m)^memory: method arena: peak \d+ of ")

    def test_bpte_float_outputs_within_tolerance(self) -> None:
        path = self.bpte("mlp.pte", {"forward": eager_cases("mlp", [1])})
        result = run_runner(f"--model_path={path}", "--num_inferences=2")
        self.assert_ok(result)
        self.assertRegex(result.stdout, r"(?m)^test case 0: inference 2/2: ")
        self.assertRegex(result.stdout, r"(?m)^test case 0: output 0: PASS \(max abs error ")

    def test_bpte_wrong_expected_output_fails(self) -> None:
        (good,) = eager_cases("add", [1])
        inputs, (expected,) = good
        wrong = expected.clone()
        wrong.view(-1)[3] += 0.5
        path = self.bpte("add.pte", {"forward": [good, (inputs, [wrong])]})
        result = run_runner(f"--model_path={path}")
        self.assertRegex(result.stdout, r"(?m)^test case 0: output 0: PASS ")
        self.assertRegex(
            result.stdout,
            r"(?m)^test case 1: output 0: FAIL \(1 of 6 values differ, first at 3: "
            r"got \S+, expected \S+; max abs error 0\.5, atol 0\.0001, rtol 0\.0001\)$",
        )
        self.assertIn(
            "bundled: 2 test case(s) of method 'forward': 2 output(s) compared: 1 PASS, 1 FAIL",
            result.stdout,
        )
        self.assert_error(
            result,
            EXIT_VERIFICATION,
            r"1 of 2 output\(s\) differ from the bundled expected outputs",
        )
        # The tolerances come from the flags.
        self.assert_ok(run_runner(f"--model_path={path}", "--bundled_atol=0.6"))

    def test_bpte_wrong_dtype_or_shape_fails(self) -> None:
        inputs, (expected,) = eager_cases("add", [1])[0]
        path = self.bpte(
            "add.pte",
            {"forward": [(inputs, [expected.double()]), (inputs, [expected.reshape(3, 2)])]},
        )
        result = run_runner(f"--model_path={path}")
        self.assertRegex(
            result.stdout,
            r"(?m)^test case 0: output 0: FAIL \(expected Double\[2, 3\], got Float\[2, 3\]\)$",
        )
        self.assertRegex(
            result.stdout,
            r"(?m)^test case 1: output 0: FAIL \(expected Float\[3, 2\], got Float\[2, 3\]\)$",
        )
        self.assert_error(result, EXIT_VERIFICATION, r"2 of 2 output\(s\) differ")

    def test_bpte_wrong_input_dtype_is_bad_input(self) -> None:
        inputs, expected = eager_cases("add", [1])[0]
        path = self.bpte("add.pte", {"forward": [((inputs[0], inputs[1].int()), expected)]})
        self.assert_error(
            run_runner(f"--model_path={path}"),
            EXIT_BAD_INPUT,
            r"test case 0 input 1 is Int\[2, 3\], but input 1 of method 'forward' is Float\[2, 3\]",
        )

    def test_bpte_output_dir_per_test_case(self) -> None:
        cases = eager_cases("compare", [1, 2])
        path = self.bpte("compare.pte", {"forward": cases})
        out = pathlib.Path(self.create_tempdir().full_path)
        self.assert_ok(run_runner(f"--model_path={path}", f"--output_dir={out}"))
        for k, (_, expected) in enumerate(cases):
            self.assert_outputs_match(out / f"case_{k}", list(expected))

    def test_bpte_with_inputs_flag_skips_test_cases(self) -> None:
        result = run_runner(f"--model_path={program('add.bpte')}", "--inputs=zeros")
        self.assert_ok(result)
        self.assertIn("bundled: test cases not run (inputs from --inputs)", result.stdout)
        self.assertNotIn("PASS", result.stdout)

    def test_bpte_without_test_cases_for_method(self) -> None:
        path = self.bpte("add.pte", {})
        self.assert_error(
            run_runner(f"--model_path={path}"),
            EXIT_USAGE,
            r"has no test cases for method 'forward' \(test cases for: \(none\)\)",
        )
        self.assert_error(
            run_runner(f"--model_path={program('add.bpte')}", "--method=backward"),
            EXIT_USAGE,
            r"no method 'backward'.*it has: forward",
        )

    def test_bpte_without_expected_outputs_runs(self) -> None:
        inputs = models.example_inputs("add", seed=1)
        path = self.bpte("add.pte", {"forward": [(inputs, [])]})
        result = run_runner(f"--model_path={path}")
        self.assert_ok(result)
        self.assertIn(
            "test case 0: outputs not compared: no expected outputs bundled", result.stdout
        )

    def test_truncated_bpte(self) -> None:
        data = program("add.bpte").read_bytes()
        for size in (8, 64, len(data) // 2, len(data) - 1):
            with self.subTest(size=size):
                path = pathlib.Path(self.create_tempdir().full_path) / "truncated.bpte"
                path.write_bytes(data[:size])
                self.assert_error(
                    run_runner(f"--model_path={path}"),
                    EXIT_INVALID_PROGRAM,
                    r"not a valid bundled program: the flatbuffer verifier rejects it",
                )

    def test_corrupted_bpte(self) -> None:
        """Seeded corruptions of the bundle around the embedded program (whose
        own robustness pte_loader_fuzz_test covers): a clean error, never a
        crash, and never a pass unless the corrupted bundle really still passes
        (bundled_add_still_passes): e.g. a changed version field or a last
        mantissa bit of an expected output. Seed 5's 40 corruptions all fail."""
        data = program("add.bpte").read_bytes()
        start = data.find(program("add.pte").read_bytes())
        self.assertGreater(start, 0)
        end = start + program("add.pte").stat().st_size
        offsets = [i for i in range(8, len(data)) if not start <= i < end]
        rng = np.random.default_rng(5)
        outcomes: dict[int, int] = {}
        for _ in range(40):
            corrupt = bytearray(data)
            for offset in rng.choice(offsets, size=4, replace=False):
                corrupt[int(offset)] = int(rng.integers(0, 256))
            path = pathlib.Path(self.create_tempdir().full_path) / "corrupt.bpte"
            path.write_bytes(bytes(corrupt))
            result = run_runner(f"--model_path={path}")
            outcomes[result.returncode] = outcomes.get(result.returncode, 0) + 1
            if result.returncode == 0:
                self.assert_still_passes(bytes(corrupt), result)
                continue
            self.assertIn(
                result.returncode,
                (EXIT_INVALID_PROGRAM, EXIT_BAD_INPUT, EXIT_VERIFICATION, EXIT_UNSUPPORTED),
                msg=f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}",
            )
            self.assertRegex(result.stderr.strip(), r"^executor_runner: error: [^\n]+$")
        self.assertIn(EXIT_INVALID_PROGRAM, outcomes, msg=str(outcomes))

    def assert_still_passes(self, data: bytes, result: Run) -> None:
        """An exit code 0 on a corrupted bundle: right only if it still passes."""
        still_passes, why = bundled_add_still_passes(data)
        self.assertTrue(still_passes, msg=f"the runner passed a bundle that does not pass: {why}\n{result.stdout}")
        self.assertIn("1 output(s) compared: 1 PASS, 0 FAIL", result.stdout)

    def test_corrupted_bpte_expected_output(self) -> None:
        """The two sides of the check above, on the bytes of the expected output:
        its last mantissa byte changed stays within tolerance (exit 0, still
        passes); an exponent bit flipped (x4 or /4, finite) does not (exit 9,
        does not pass)."""
        data = program("add.bpte").read_bytes()
        (expected,) = models.eager_outputs("add", models.example_inputs("add"))
        at = data.find(expected.numpy().tobytes())
        self.assertGreater(at, 0)
        tmp = pathlib.Path(self.create_tempdir().full_path)
        for name, byte, bit, code in (("mantissa", 0, 0x40, 0), ("exponent", 3, 0x01, EXIT_VERIFICATION)):
            with self.subTest(byte=name):
                corrupt = bytearray(data)
                corrupt[at + byte] ^= bit
                path = tmp / f"{name}.bpte"
                path.write_bytes(bytes(corrupt))
                result = run_runner(f"--model_path={path}")
                self.assertEqual(result.returncode, code, msg=result.stdout + result.stderr)
                self.assertEqual(bundled_add_still_passes(bytes(corrupt))[0], code == 0)
                if code == 0:
                    self.assert_still_passes(bytes(corrupt), result)

    def test_random_bytes_with_bundled_identifier(self) -> None:
        data = bytearray(np.random.default_rng(2).bytes(4096))
        tmp = pathlib.Path(self.create_tempdir().full_path)
        for identifier, code, pattern in (
            (b"BP08", EXIT_INVALID_PROGRAM, r"the flatbuffer verifier rejects it"),
            (b"BP07", EXIT_UNSUPPORTED, r"bundled program schema 'BP07' is not supported: this runner reads 'BP08'"),
        ):
            with self.subTest(identifier=identifier):
                data[4:8] = identifier
                path = tmp / f"{identifier.decode()}.bpte"
                path.write_bytes(bytes(data))
                self.assert_error(run_runner(f"--model_path={path}"), code, pattern)

    def test_unbundled_bpte_verifies(self) -> None:
        tmp = pathlib.Path(self.create_tempdir().full_path)
        (line,) = bpte_unbundle.unbundle(program("add.bpte"), tmp)
        method, *case_flags = line.split(" ")
        result = run_runner(
            f"--model_path={tmp / 'program.pte'}", f"--method={method}", *case_flags
        )
        self.assert_ok(result)
        self.assertRegex(result.stdout, r"(?m)^output 0: PASS ")

        expected = tmp / method / "case_0" / "expected_output_0.bin"
        values = np.fromfile(expected, dtype=np.float32)
        values[3] += 0.5
        values.tofile(expected)
        result = run_runner(
            f"--model_path={tmp / 'program.pte'}", f"--method={method}", *case_flags
        )
        self.assertRegex(
            result.stdout, r"(?m)^output 0: FAIL \(1 of 6 values differ, first at 3: "
        )
        self.assert_error(result, EXIT_VERIFICATION, r"1 of 1 output\(s\) differ")

    # --- errors -----------------------------------------------------------

    def test_tensor_without_data(self) -> None:
        """compare.pte with one tensor that nothing gives data to: a constant
        (what pte_loader_fuzz_test's mutation did), an intermediate, an output.
        ExecuTorch loads each with a null data pointer; before the runner
        checked (program_check.h), a kernel read or wrote through it (SIGSEGV,
        exit 12)."""
        pte = deserialize_pte_binary(program("compare.pte").read_bytes())
        plan = pte.program.execution_plan[0]
        tensors = {i: v.val for i, v in enumerate(plan.values) if isinstance(v.val, program_schema.Tensor)}
        constant = min(i for i, t in tensors.items() if t.data_buffer_idx > 0)
        planned = [i for i, t in tensors.items() if t.allocation_info is not None and i not in plan.inputs]
        intermediate = min(i for i in planned if i not in plan.outputs)
        output = min(i for i in planned if i in plan.outputs)
        tmp = pathlib.Path(self.create_tempdir().full_path)
        cases = [
            ("unchanged", None, 0, ""),
            ("constant", constant, EXIT_INVALID_PROGRAM, "has no data"),
            ("intermediate", intermediate, EXIT_INVALID_PROGRAM, "has no data"),
            ("output", output, EXIT_UNSUPPORTED, "is an output that is not memory-planned"),
        ]
        for name, index, code, pattern in cases:
            with self.subTest(tensor=name):
                edited = deserialize_pte_binary(program("compare.pte").read_bytes())
                if index is not None:
                    tensor = edited.program.execution_plan[0].values[index].val
                    assert isinstance(tensor, program_schema.Tensor)
                    tensor.data_buffer_idx, tensor.allocation_info = 0, None
                path = tmp / f"{name}.pte"
                path.write_bytes(bytes(serialize_pte_binary(edited)))
                result = run_runner(f"--model_path={path}")
                if code == 0:
                    self.assert_ok(result)
                else:
                    self.assert_error(result, code, rf"^executor_runner: error: '{re.escape(str(path))}': "
                                      rf"method 'forward': tensor value {index} {pattern}")

    def test_truncated_program(self) -> None:
        data = program("mlp.pte").read_bytes()
        for fraction in (0.1, 0.5, 0.95):
            with self.subTest(fraction=fraction):
                path = pathlib.Path(self.create_tempdir().full_path) / "truncated.pte"
                path.write_bytes(data[: int(len(data) * fraction)])
                self.assert_error(
                    run_runner(f"--model_path={path}"),
                    EXIT_INVALID_PROGRAM,
                    r"corrupt, truncated",
                )

    def test_random_bytes(self) -> None:
        path = pathlib.Path(self.create_tempdir().full_path) / "random.pte"
        path.write_bytes(np.random.default_rng(0).bytes(4096))
        self.assert_error(
            run_runner(f"--model_path={path}"),
            EXIT_INVALID_PROGRAM,
            r"not an ExecuTorch program",
        )

    def test_random_bytes_with_program_identifier(self) -> None:
        data = bytearray(np.random.default_rng(1).bytes(4096))
        data[4:8] = b"ET12"
        path = pathlib.Path(self.create_tempdir().full_path) / "random.pte"
        path.write_bytes(bytes(data))
        self.assert_error(
            run_runner(f"--model_path={path}"),
            EXIT_INVALID_PROGRAM,
            r"cannot load program",
        )

    def test_tiny_file(self) -> None:
        path = pathlib.Path(self.create_tempdir().full_path) / "tiny.pte"
        path.write_bytes(b"ET")
        self.assert_error(
            run_runner(f"--model_path={path}"), EXIT_INVALID_PROGRAM, r"too short"
        )

    def test_missing_model_file(self) -> None:
        self.assert_error(
            run_runner("--model_path=/nonexistent/x.pte"),
            EXIT_IO,
            r"cannot open model file",
        )

    def test_missing_operator(self) -> None:
        self.assert_error(
            run_runner(f"--model_path={program('add_missing_op.pte')}"),
            EXIT_MISSING_OPERATOR,
            r"missing operator.*aten::ad0\.out",
        )

    def test_wrong_input_file_size(self) -> None:
        tmp = pathlib.Path(self.create_tempdir().full_path)
        (tmp / "a.bin").write_bytes(bytes(24))
        (tmp / "b.bin").write_bytes(bytes(20))
        self.assert_error(
            run_runner(
                f"--model_path={program('add.pte')}",
                f"--input_files={tmp / 'a.bin'},{tmp / 'b.bin'}",
            ),
            EXIT_BAD_INPUT,
            r"input file '.*b\.bin' has 20 bytes, but input 1 \(Float\[2, 3\]\) needs 24 bytes",
        )

    def test_wrong_number_of_input_files(self) -> None:
        tmp = pathlib.Path(self.create_tempdir().full_path)
        (tmp / "a.bin").write_bytes(bytes(24))
        self.assert_error(
            run_runner(
                f"--model_path={program('add.pte')}", f"--input_files={tmp / 'a.bin'}"
            ),
            EXIT_BAD_INPUT,
            r"has 1 file\(s\), but method 'forward' has 2 input\(s\)",
        )

    def test_unknown_method(self) -> None:
        self.assert_error(
            run_runner(f"--model_path={program('add.pte')}", "--method=backward"),
            EXIT_USAGE,
            r"no method 'backward'.*it has: forward",
        )

    def test_bad_flags(self) -> None:
        self.assert_error(
            run_runner("--model_path=x.pte", "--num_inferences=0"),
            EXIT_USAGE,
            r"--num_inferences",
        )
        self.assert_error(
            run_runner("--model_path=x.pte", "--bogus=1"),
            EXIT_USAGE,
            r"unknown flag --bogus",
        )
        self.assert_error(run_runner(), EXIT_USAGE, r"--model_path is required")
        help_run = run_runner("--help")
        self.assertEqual(help_run.returncode, 0)
        self.assertIn("Exit codes:", help_run.stdout)


if __name__ == "__main__":
    absltest.main()
