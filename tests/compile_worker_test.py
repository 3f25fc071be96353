"""The compile worker (backend/worker.py) keeps requests apart and compiles as the CLI does.

One worker process gets, in this order: A (add for Ethos-U55-128), an unknown
flag, A with a bad --system_config, A with a corrupt weights file (an exception
inside the compile), B (conv_net for Ethos-U85-256, bundled I/O: other model,
target, flags and output kind), A again, and C twice: a user model importing a
helper module from --model_path, the helper edited in between (as an action
input, not part of the worker's key), which the second compile must see.
A and B come as arm_compile passes built-in models: their files in models/. A's program, report and
intermediates from both requests must be byte-identical to each other, to the
one-shot CLI's (//backend:compile) and to the worker binary's one-shot
params-file mode (what `--config=no_worker` runs); A's response text must be the
same both times and hold the same lines as the CLI's stdout and stderr. The bad
requests must fail with their own error text and exit code while the worker
lives on, and nothing but protocol responses may reach the worker's stdout.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
from typing import IO, Any, ClassVar

from absl.testing import absltest

# Not resolved: the binaries are in the runfiles tree, beside this file's link.
_BACKEND = pathlib.Path(os.path.abspath(__file__)).parent.parent / "backend"
_WORKER = str(_BACKEND / "compile_worker")
_COMPILE = str(_BACKEND / "compile")

_MODELS = _BACKEND.parent / "models"
A = ["--model", f"{_MODELS}/operators/add.py:MODEL", "--model_name", "add", "--target", "ethos-u55-128"]
B = [
    "--model",
    f"{_MODELS}/conv_net.py:MODEL",
    "--model_name",
    "conv_net",
    "--target",
    "ethos-u85-256",
    "--bundleio",
]


def outputs(directory: pathlib.Path, name: str, extension: str = ".pte") -> list[str]:
    """The output flags of one compile into directory, as arm_compile passes them."""
    return [
        "--output",
        str(directory / (name + extension)),
        "--report",
        str(directory / (name + ".report.json")),
        "--intermediates",
        str(directory / (name + ".intermediates")),
    ]


# Vela's console summary names the temporary directory it ran in.
_VELA_TMP = re.compile(rb"/tmp/vela-[^/\s]+")


def tree(directory: pathlib.Path) -> dict[str, bytes]:
    """Every file under directory by relative path, with Vela's temporary directory masked."""
    return {
        str(path.relative_to(directory)): _VELA_TMP.sub(b"/tmp/vela-X", path.read_bytes())
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def normalized(text: str, directory: pathlib.Path) -> list[str]:
    """Lines of a compile's console output without timings, absl log prefixes or paths."""
    text = text.replace(str(directory), "OUT")
    text = re.sub(r" in \d+\.\d+ s:", " in N s:", text)
    text = re.sub(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ ", "", text, flags=re.MULTILINE)
    return [line for line in text.splitlines() if line.strip()]


class Worker:
    """A worker process driven over the JSON protocol, one request at a time."""

    def __init__(self, log: pathlib.Path) -> None:
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [_WORKER, "--persistent_worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log
        )

    def request(self, arguments: list[str], request_id: int = 0) -> dict[str, Any]:
        stdin, stdout = self._pipes()
        stdin.write((json.dumps({"arguments": arguments, "inputs": [], "requestId": request_id}) + "\n").encode())
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise AssertionError(f"the worker exited (status {self.process.wait()}) instead of answering")
        response: dict[str, Any] = json.loads(line)
        return response

    def close(self) -> tuple[int, bytes]:
        """Ends the worker by closing its stdin; its exit status and any stdout left over."""
        stdin, stdout = self._pipes()
        stdin.close()
        rest = stdout.read()
        status = self.process.wait(timeout=120)
        self._log.close()
        return status, rest

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        assert self.process.stdin is not None and self.process.stdout is not None
        return self.process.stdin, self.process.stdout


class CompileWorkerTest(absltest.TestCase):
    tmp: ClassVar[pathlib.Path]
    responses: ClassVar[dict[str, dict[str, Any]]]
    worker_exit: ClassVar[tuple[int, bytes]]
    cli: ClassVar[subprocess.CompletedProcess[str]]
    one_shot: ClassVar[subprocess.CompletedProcess[str]]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.tmp = pathlib.Path(absltest.get_default_test_tmpdir(), "compile_worker_test")
        cls.tmp.mkdir(parents=True, exist_ok=True)
        corrupt = cls.tmp / "corrupt_weights.pt"
        corrupt.write_bytes(b"not a state_dict")

        user = cls.tmp / "user"
        user.mkdir(exist_ok=True)
        (user / "user_model.py").write_text(
            "import torch\nimport helper\n\n"
            "ModelUnderTest = torch.nn.Linear(4, helper.WIDTH)\nModelInputs = (torch.ones(1, 4),)\n"
        )
        user_compile = ["--model", str(user / "user_model.py"), "--model_path", str(user), "--target", "TOSA-1.0+FP"]

        worker = Worker(cls.tmp / "worker.log")
        cls.responses = {}
        sequence = [
            ("a1", [*A, *outputs(cls.tmp / "a1", "add")]),
            ("unknown_flag", [*A, *outputs(cls.tmp / "bad", "add"), "--no_such_flag"]),
            ("bad_system_config", [*A, *outputs(cls.tmp / "bad", "add"), "--system_config=No_Such_Config"]),
            ("corrupt_weights", [*A, *outputs(cls.tmp / "bad", "add"), f"--weights={corrupt}"]),
            ("b", [*B, *outputs(cls.tmp / "b", "conv_net", ".bpte")]),
            ("a2", [*A, *outputs(cls.tmp / "a2", "add")]),
        ]
        for request_id, (name, arguments) in enumerate(sequence):
            cls.responses[name] = worker.request(arguments, request_id)
        for width in (2, 3):
            (user / "helper.py").write_text(f"WIDTH = {width}\n")
            name = f"c{width}"
            cls.responses[name] = worker.request([*user_compile, *outputs(cls.tmp / name, "user")], len(cls.responses))
        cls.worker_exit = worker.close()

        cls.cli = subprocess.run(
            [_COMPILE, *A, *outputs(cls.tmp / "cli", "add")], capture_output=True, text=True, check=False
        )
        # The worker binary without --persistent_worker: one compile from a
        # params file, one argument per line, as `--config=no_worker` runs it.
        params = cls.tmp / "add.params"
        params.write_text("\n".join([*A, *outputs(cls.tmp / "one_shot", "add")]) + "\n")
        cls.one_shot = subprocess.run([_WORKER, f"@{params}"], capture_output=True, text=True, check=False)

    def test_responses_follow_the_protocol(self) -> None:
        for request_id, (name, response) in enumerate(self.responses.items()):
            with self.subTest(name):
                self.assertEqual(set(response), {"exitCode", "output", "requestId"})
                self.assertEqual(response["requestId"], request_id)
        status, rest = self.worker_exit
        self.assertEqual(status, 0, "the worker must exit cleanly when stdin closes")
        self.assertEqual(rest, b"", "nothing but responses may reach the worker's stdout")

    def test_good_requests_compile(self) -> None:
        for name in ("a1", "b", "a2"):
            with self.subTest(name):
                self.assertEqual(self.responses[name]["exitCode"], 0, self.responses[name]["output"])
        self.assertIn("compiled add for ethos-u55-128", self.responses["a1"]["output"])
        self.assertIn("compiled conv_net for ethos-u85-256", self.responses["b"]["output"])
        self.assertTrue((self.tmp / "b" / "conv_net.bpte").is_file())
        self.assertEqual(self.cli.returncode, 0, self.cli.stderr)
        self.assertEqual(self.one_shot.returncode, 0, self.one_shot.stderr)

    def test_a_model_s_own_modules_are_imported_afresh_by_each_request(self) -> None:
        reports = {}
        for name in ("c2", "c3"):
            self.assertEqual(self.responses[name]["exitCode"], 0, self.responses[name]["output"])
            reports[name] = json.loads((self.tmp / name / "user.report.json").read_text())
        # Linear(4, 2) then Linear(4, 3): a helper module left cached from the
        # first request would compile the same program twice.
        self.assertLess(reports["c2"]["program_bytes"], reports["c3"]["program_bytes"])

    def test_bad_flag_is_a_usage_error(self) -> None:
        response = self.responses["unknown_flag"]
        self.assertEqual(response["exitCode"], 2)
        self.assertEqual(response["output"].strip(), "error: Unknown command line flag 'no_such_flag'")

    def test_bad_value_is_main_s_usage_error(self) -> None:
        response = self.responses["bad_system_config"]
        self.assertEqual(response["exitCode"], 2)
        self.assertIn("error: unknown system_config 'No_Such_Config'", response["output"])

    def test_exception_fails_the_request_not_the_worker(self) -> None:
        response = self.responses["corrupt_weights"]
        self.assertNotEqual(response["exitCode"], 0)
        # torch.load's error: as a traceback, or one line should main catch it.
        self.assertRegex(response["output"], r"Traceback \(most recent call last\)|error: ")
        self.assertIn("Weights only load failed", response["output"])
        self.assertFalse((self.tmp / "bad" / "add.pte").exists())
        # The worker answered the requests after it (checked above), so it lived on.

    def test_a_is_byte_identical_in_both_requests_the_cli_and_one_shot_mode(self) -> None:
        first = tree(self.tmp / "a1")
        self.assertIn("add.pte", first)
        self.assertIn("add.report.json", first)
        self.assertTrue(any(name.endswith(".tosa") for name in first), sorted(first))
        for other in ("a2", "cli", "one_shot"):
            with self.subTest(other):
                self.assertEqual(tree(self.tmp / other), first)

    def test_a_prints_the_same_in_both_requests_and_as_the_cli(self) -> None:
        first = normalized(self.responses["a1"]["output"], self.tmp / "a1")
        self.assertEqual(normalized(self.responses["a2"]["output"], self.tmp / "a2"), first)
        # The CLI's stdout and stderr are separate streams; the lines are the same.
        cli = normalized(self.cli.stdout + self.cli.stderr, self.tmp / "cli")
        self.assertEqual(sorted(cli), sorted(first))
        self.assertFalse(any("conv_net" in line for line in first))


if __name__ == "__main__":
    absltest.main()
