"""executor_runner end to end: numerics against PyTorch eager, errors, reports.

Runs the runner given by --runner (the host binary, or the aarch64 binary
wrapped to run under qemu-aarch64) on the programs that gen_programs exported
in a Bazel action.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import pathlib
import re
import resource
import shlex
import subprocess
from collections.abc import Sequence

import flatbuffers
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
EXIT_FATAL_SIGNAL = 12
EXIT_OUT_OF_MEMORY = 13

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


def run_runner(*args: str, address_space: int | None = None) -> Run:
    """Runs the runner; with `address_space`, under that RLIMIT_AS (bytes)."""
    runner = _RUNNER.value
    if not runner:
        raise ValueError("--runner is required")

    def limit_address_space() -> None:
        if address_space is not None:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    proc = subprocess.run(
        [str(pathlib.Path(runner).absolute()), *args],
        capture_output=True,
        text=True,
        # A corrupted file can put any bytes into what the runner echoes.
        errors="backslashreplace",
        timeout=_TIMEOUT.value,
        check=False,
        preexec_fn=limit_address_space,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


# The address space a runner process may use besides what its files justify:
# code and shared libraries, the threads of ExecuTorch's threadpool (stacks and
# malloc arenas), the default 4 MiB + 1 MiB arenas and, under qemu-aarch64, the
# emulator (its translation cache). Measured: ~24 MiB on the host, ~244 MiB
# under qemu-aarch64; 512 MiB leaves room and is still far below
# what the crafted files below made the runner ask for (gigabytes to hundreds
# of gigabytes).
RUNNER_ADDRESS_SPACE_OVERHEAD = 512 << 20


def memory_ceiling(*files: pathlib.Path) -> int:
    """RLIMIT_AS for a runner given the crafted `files`: the fixed overhead
    plus twice their sizes (a .bpte is held once and its embedded program is
    loaded from it; anything more is amplification)."""
    return RUNNER_ADDRESS_SPACE_OVERHEAD + 2 * sum(f.stat().st_size for f in files)


@functools.cache
def runs_under_address_space_limit() -> bool:
    """False for a sanitizer build, which reserves terabytes of shadow memory."""
    probe = run_runner(
        f"--model_path={program('add.pte')}", address_space=RUNNER_ADDRESS_SPACE_OVERHEAD
    )
    return probe.returncode == 0


def sparse_file(path: pathlib.Path, size: int, head: bytes = b"") -> pathlib.Path:
    """A file of `size` bytes that takes no disk space (a hole after `head`)."""
    with path.open("wb") as f:
        f.write(head)
        f.truncate(size)
    return path


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


# Enum values of executorch's schemas (scalar_type.fbs,
# bundled_program_schema.fbs).
SCALAR_TYPE_FLOAT = 6
VALUE_UNION_TENSOR = 1


def shared_entries_bpte(
    pte: pathlib.Path,
    *,
    method_name: str = "forward",
    suites: int = 1,
    test_cases: int = 1,
    shape: Sequence[int] = (2, 3),
    data: bytes | None = None,
) -> bytes:
    """A bundled program (BP08) written with the FlatBuffers builder after
    executorch's bundled_program_schema.fbs, whose entries share tables as the
    format allows: `suites` test suites that are one table named
    `method_name`, whose `test_cases` test cases are one table, whose two
    inputs and one expected output are one Float tensor of `shape` (and
    `data`). The file grows with suites + test_cases + len(shape); a reader
    that copies per entry needs suites * test_cases * 3 * len(shape) ints."""
    program = pte.read_bytes()
    builder = flatbuffers.Builder(
        len(program) + len(method_name) + 4 * (suites + test_cases + len(shape)) + 4096
    )

    def offsets(target: int, count: int) -> int:
        builder.StartVector(4, count, 4)
        for _ in range(count):
            builder.PrependUOffsetTRelative(target)
        return int(builder.EndVector())

    def byte_vector(payload: bytes, alignment: int) -> int:
        builder.StartVector(1, len(payload), alignment)
        builder.head = builder.Head() - len(payload)
        builder.Bytes[builder.Head() : builder.Head() + len(payload)] = payload
        return int(builder.EndVector())

    builder.StartVector(4, len(shape), 4)
    for size in reversed(shape):
        builder.PrependInt32(size)
    sizes = builder.EndVector()
    tensor_data = None if data is None else byte_vector(data, 16)
    # The identity dim order (executorch's Python reader requires one); a
    # ubyte vector cannot hold it past 256 dimensions, then none (contiguous).
    dim_order = byte_vector(bytes(range(len(shape))), 1) if len(shape) <= 256 else None
    builder.StartObject(4)  # Tensor: scalar_type, sizes, data, dim_order
    builder.PrependInt8Slot(0, SCALAR_TYPE_FLOAT, 0)
    builder.PrependUOffsetTRelativeSlot(1, sizes, 0)
    if tensor_data is not None:
        builder.PrependUOffsetTRelativeSlot(2, tensor_data, 0)
    if dim_order is not None:
        builder.PrependUOffsetTRelativeSlot(3, dim_order, 0)
    tensor = builder.EndObject()
    builder.StartObject(2)  # Value: val_type, val
    builder.PrependUint8Slot(0, VALUE_UNION_TENSOR, 0)
    builder.PrependUOffsetTRelativeSlot(1, tensor, 0)
    value = builder.EndObject()
    inputs = offsets(value, 2)
    expected_outputs = offsets(value, 1)
    builder.StartObject(2)  # BundledMethodTestCase
    builder.PrependUOffsetTRelativeSlot(0, inputs, 0)
    builder.PrependUOffsetTRelativeSlot(1, expected_outputs, 0)
    test_case = builder.EndObject()
    case_vector = offsets(test_case, test_cases)
    name = builder.CreateString(method_name)
    builder.StartObject(2)  # BundledMethodTestSuite
    builder.PrependUOffsetTRelativeSlot(0, name, 0)
    builder.PrependUOffsetTRelativeSlot(1, case_vector, 0)
    suite = builder.EndObject()
    suite_vector = offsets(suite, suites)
    program_vector = byte_vector(program, 32)  # force_align: 32
    builder.StartObject(3)  # BundledProgram: version, suites, program
    builder.PrependUint32Slot(0, 2, 0)
    builder.PrependUOffsetTRelativeSlot(1, suite_vector, 0)
    builder.PrependUOffsetTRelativeSlot(2, program_vector, 0)
    builder.Finish(builder.EndObject(), file_identifier=b"BP08")
    return bytes(builder.Output())


def with_extra_planned_buffers(
    pte: pathlib.Path, out: pathlib.Path, sizes: Sequence[int]
) -> pathlib.Path:
    """`pte` with more memory-planned buffers of `sizes` bytes declared for
    its first method (unused by it, but allocated by a runner)."""
    pte_file = deserialize_pte_binary(pte.read_bytes())
    pte_file.program.execution_plan[0].non_const_buffer_sizes.extend(sizes)
    out.write_bytes(bytes(serialize_pte_binary(pte_file)))
    return out


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
        case_flags = shlex.split(line)
        self.assertEqual(case_flags[0], "--method=forward")
        result = run_runner(f"--model_path={tmp / 'program.pte'}", *case_flags)
        self.assert_ok(result)
        self.assertRegex(result.stdout, r"(?m)^output 0: PASS ")

        expected = tmp / "suite_0" / "case_0" / "expected_output_0.bin"
        values = np.fromfile(expected, dtype=np.float32)
        values[3] += 0.5
        values.tofile(expected)
        result = run_runner(f"--model_path={tmp / 'program.pte'}", *case_flags)
        self.assertRegex(
            result.stdout, r"(?m)^output 0: FAIL \(1 of 6 values differ, first at 3: "
        )
        self.assert_error(result, EXIT_VERIFICATION, r"1 of 1 output\(s\) differ")

    def test_unbundle_writes_only_into_output_dir(self) -> None:
        """Method names that are paths (relative escapes, absolute, '.', '..')
        name no file: everything lands under the output directory, and each
        manifest line still names its method."""
        tmp = pathlib.Path(self.create_tempdir().full_path)
        out = tmp / "a" / "b" / "out"
        ones = np.ones(6, dtype=np.float32).tobytes()
        names = ["../../escaped", str(tmp / "absolute"), "..", ".", "x/../../../y", "a b\nc"]
        for name in names:
            with self.subTest(method=name):
                bpte = tmp / "crafted.bpte"
                bpte.write_bytes(shared_entries_bpte(program("add.pte"), method_name=name, data=ones))
                (line,) = bpte_unbundle.unbundle(bpte, out)
                written = {p for p in tmp.rglob("*") if p.is_file()} - {bpte}
                outside = [p for p in written if not p.is_relative_to(out)]
                self.assertEqual(outside, [])
                self.assertEqual(shlex.split(line)[0], f"--method={name}")
                self.assertEqual(
                    sorted(str(p.relative_to(out)) for p in written),
                    [
                        "manifest.txt",
                        "program.pte",
                        "suite_0/case_0/expected_output_0.bin",
                        "suite_0/case_0/input_0.bin",
                        "suite_0/case_0/input_1.bin",
                    ],
                )

    # --- crafted files and flags: bounded memory (issue 16) ----------------
    # Each attack runs under an address-space limit derived from the files'
    # sizes (memory_ceiling): a runner that reads or copies more than it needs
    # fails to allocate instead of taking the machine's memory.

    def ceiling(self, *files: pathlib.Path) -> int:
        """memory_ceiling(files), or skips the test when this runner cannot
        run under an address-space limit at all (a sanitizer build reserves
        terabytes of shadow memory)."""
        if not runs_under_address_space_limit():
            self.skipTest("the runner does not run under RLIMIT_AS (sanitizer build)")
        return memory_ceiling(*files)

    def test_device_input_file_is_read_only_to_the_input_size(self) -> None:
        result = run_runner(
            f"--model_path={program('add.pte')}",
            "--input_files=/dev/zero,/dev/zero",
            address_space=self.ceiling(),
        )
        self.assert_error(
            result,
            EXIT_BAD_INPUT,
            r"input file '/dev/zero' has more than 24 bytes, but input 0 "
            r"\(Float\[2, 3\]\) needs 24 bytes",
        )

    def test_large_input_file_is_not_read(self) -> None:
        tmp = pathlib.Path(self.create_tempdir().full_path)
        big = sparse_file(tmp / "big.bin", 8 << 30)
        result = run_runner(
            f"--model_path={program('add.pte')}",
            f"--input_files={big},{big}",
            address_space=self.ceiling(),
        )
        self.assert_error(
            result,
            EXIT_BAD_INPUT,
            r"big\.bin' has 8589934592 bytes, but input 0 \(Float\[2, 3\]\) needs 24",
        )

    def test_device_expected_output_is_read_only_to_the_output_size(self) -> None:
        result = run_runner(
            f"--model_path={program('add.pte')}",
            "--expected_outputs=/dev/zero",
            address_space=self.ceiling(),
        )
        self.assertRegex(
            result.stdout,
            r"(?m)^output 0: FAIL \(expected more than 24 bytes in /dev/zero, got 24\)$",
        )
        self.assert_error(result, EXIT_VERIFICATION, r"1 of 1 output\(s\) differ")

    def test_large_expected_output_is_not_read(self) -> None:
        tmp = pathlib.Path(self.create_tempdir().full_path)
        big = sparse_file(tmp / "big.bin", 8 << 30)
        result = run_runner(
            f"--model_path={program('add.pte')}",
            f"--expected_outputs={big}",
            address_space=self.ceiling(),
        )
        self.assertRegex(
            result.stdout,
            r"(?m)^output 0: FAIL \(expected 8589934592 bytes in \S+big\.bin, got 24\)$",
        )
        self.assert_error(result, EXIT_VERIFICATION, r"1 of 1 output\(s\) differ")

    def test_model_file_must_be_regular(self) -> None:
        self.assert_error(
            run_runner("--model_path=/dev/zero", address_space=self.ceiling()),
            EXIT_IO,
            r"cannot read model file '/dev/zero': not a regular file",
        )

    def test_bpte_larger_than_a_flatbuffer_is_not_read(self) -> None:
        tmp = pathlib.Path(self.create_tempdir().full_path)
        big = sparse_file(tmp / "big.bpte", 3 << 30, head=b"\0\0\0\0BP08")
        self.assert_error(
            run_runner(f"--model_path={big}", address_space=self.ceiling()),
            EXIT_INVALID_PROGRAM,
            r"3221225472 bytes is more than a flatbuffer can hold",
        )

    def test_shared_bundled_entries_run_one_by_one(self) -> None:
        """Test cases that share one test case, whose values share one
        tensor, each run (values read in place, not copied)."""
        ones = np.ones(6, dtype=np.float32).tobytes()
        path = pathlib.Path(self.create_tempdir().full_path) / "shared.bpte"
        path.write_bytes(shared_entries_bpte(program("add.pte"), test_cases=3, data=ones))
        result = run_runner(f"--model_path={path}", address_space=self.ceiling(path))
        for k in range(3):
            self.assertIn(f"test case {k}: input 1: Float[2, 3], 24 bytes (bundled)", result.stdout)
            self.assertIn(
                f"test case {k}: output 0: FAIL (6 of 6 values differ, first at 0: got 2, expected 1;",
                result.stdout,
            )
        self.assertIn(
            "bundled: 3 test case(s) of method 'forward': 3 output(s) compared: 0 PASS, 3 FAIL",
            result.stdout,
        )
        self.assert_error(result, EXIT_VERIFICATION, r"3 of 3 output\(s\) differ")

    def test_shared_bundled_shape_is_not_copied_per_value(self) -> None:
        """~0.8 MB: 100000 test cases sharing one, whose 3 values share one
        shape of 100000 dims; copied per value that is 120 GB."""
        path = pathlib.Path(self.create_tempdir().full_path) / "shared_shape.bpte"
        path.write_bytes(
            shared_entries_bpte(program("add.pte"), test_cases=100_000, shape=[1] * 100_000)
        )
        self.assertLess(path.stat().st_size, 1 << 20)
        result = run_runner(f"--model_path={path}", address_space=self.ceiling(path))
        self.assert_error(
            result,
            EXIT_BAD_INPUT,
            re.escape(
                "test case 0 input 0 is Float[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
                "... (100000 dims)], but input 0 of method 'forward' is Float[2, 3]"
            ),
        )
        self.assertLess(len(result.stderr), 1000)

    def test_shared_bundled_method_name_is_not_copied_per_suite(self) -> None:
        """~0.6 MB: 100000 test suites sharing one, named by 200000 bytes
        that are not a method; copied per suite that is 20 GB."""
        path = pathlib.Path(self.create_tempdir().full_path) / "shared_name.bpte"
        path.write_bytes(
            shared_entries_bpte(program("add.pte"), method_name="\n" * 200_000, suites=100_000)
        )
        self.assertLess(path.stat().st_size, 1 << 20)
        result = run_runner(f"--model_path={path}", address_space=self.ceiling(path))
        self.assertIn(
            f"test cases for: {'?' * 64}..., {'?' * 64}..., ", result.stdout
        )
        self.assert_error(
            result,
            EXIT_USAGE,
            r"has no test cases for method 'forward' \(test cases for: (\?{64}\.\.\., ){8}"
            r"\.\.\. \(100000 test suites\)\)",
        )

    def test_allocation_failure_is_out_of_memory(self) -> None:
        """A valid-sized .bpte (2 GiB - 2 bytes, sparse) that the address
        space cannot hold: exit code 13, not an abort."""
        tmp = pathlib.Path(self.create_tempdir().full_path)
        big = sparse_file(tmp / "big.bpte", (2 << 30) - 2, head=b"\0\0\0\0BP08")
        self.assert_error(
            run_runner(f"--model_path={big}", address_space=self.ceiling()),
            EXIT_OUT_OF_MEMORY,
            r"out of memory: cannot allocate 2147483646 bytes for the bundled program",
        )

    def test_numeric_flags_are_checked(self) -> None:
        in_range = "a decimal integer in [1, 1000000]"
        for flag, value, expects in (
            ("num_inferences", "9223372036854775807", in_range),
            ("num_inferences", "1000001", in_range),
            ("num_inferences", " 2", in_range),
            ("seed", " -1", "a decimal integer in [0, 2^64-1]"),
            ("seed", "18446744073709551616", "a decimal integer in [0, 2^64-1]"),
            ("method_arena_bytes", " -1", "a decimal integer"),
            ("max_planned_bytes", "+5", "a decimal integer"),
            ("print_values", "-1", "a decimal integer >= 0"),
            ("bundled_atol", " 1", "a number >= 0"),
        ):
            with self.subTest(flag=flag, value=value):
                self.assert_error(
                    run_runner(f"--model_path={program('add.pte')}", f"--{flag}={value}"),
                    EXIT_USAGE,
                    re.escape(f"invalid value '{value}' for --{flag} (expected {expects})"),
                )

    def test_total_of_planned_buffers_is_capped(self) -> None:
        """Two extra planned buffers, each below --max_planned_bytes, together
        above it: refused before anything is allocated."""
        pte = with_extra_planned_buffers(
            program("add.pte"),
            pathlib.Path(self.create_tempdir().full_path) / "add_planned.pte",
            [600_000, 600_000],
        )
        result = run_runner(f"--model_path={pte}", "--max_planned_bytes=1000000")
        self.assert_error(
            result,
            EXIT_ARENA_TOO_SMALL,
            r"planned memory too small: buffers 0\.\.2 of 3 need more than 1000000 "
            r"bytes .*--max_planned_bytes\); buffer 2 \(memory id 3\) alone needs 600000$",
        )
        result = run_runner(f"--model_path={pte}", "--max_planned_bytes=1300000")
        self.assert_ok(result)
        self.assertRegex(
            result.stdout, r"(?m)^memory: planned total: 1200\d\d\d bytes in 3 buffer\(s\)$"
        )

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
