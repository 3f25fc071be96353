"""Tests of the simulator runner's verdicts (toolchains/simulator/run_simulator.py).

Each test writes a stand-in simulator, a shell script that behaves like QEMU or
an FVP running a program that passes, fails, crashes, hangs or prints the wrong
thing, and runs the runner on it as the QEMU and FVP test rules do.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time

from absl.testing import absltest

_RUNNER = pathlib.Path("toolchains/simulator/run_simulator.py").resolve()


class RunSimulatorTest(absltest.TestCase):
    def run_runner(self, body: str | bytes | None, *flags: str,
                   simulator_args: tuple[str, ...] = (),
                   env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Runs the runner on a simulator: a shell script with body, the bytes of body, or
        (None) no simulator at all."""
        tmp = pathlib.Path(self.create_tempdir().full_path)
        simulator = tmp / "fake-simulator"
        if body is not None:
            simulator.write_bytes(body if isinstance(body, bytes) else b"#!/bin/sh\n" + body.encode())
            simulator.chmod(0o755)
        return subprocess.run(
            [sys.executable, str(_RUNNER), f"--simulator={simulator}", *flags, "--",
             *simulator_args],
            capture_output=True, text=True, check=False, cwd=tmp,
            env=os.environ | (env or {}),
        )

    def assert_fails(self, result: subprocess.CompletedProcess[str], reason: str) -> None:
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn(f"FAIL: {reason}", result.stderr)

    def test_passes_on_expected_exit_and_markers(self) -> None:
        result = self.run_runner("echo 'SELFTEST PASSED'; exit 0\n", "--expect=SELFTEST PASSED")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("SELFTEST PASSED", result.stdout)
        self.assertIn("PASS: exit 0 and 1 expected text(s) seen", result.stdout)

    def test_passes_on_an_expected_non_zero_exit(self) -> None:
        # A fault test: the program reports the fault and exits 101 through semihosting.
        result = self.run_runner("echo '*** FAULT: HardFault ***' >&2; exit 101\n",
                                 "--expect_exit=101", "--expect=*** FAULT: HardFault ***")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_program_failure_exit_fails_even_with_the_markers(self) -> None:
        result = self.run_runner("echo 'SELFTEST PASSED'; exit 1\n", "--expect=SELFTEST PASSED")
        self.assert_fails(result, "exit status 1, expected 0")

    def test_missing_marker_fails(self) -> None:
        result = self.run_runner("echo booted; exit 0\n", "--expect=booted",
                                 "--expect=SELFTEST PASSED")
        self.assert_fails(result, "expected output 'SELFTEST PASSED' not found")

    def test_fail_on_pattern_fails_a_clean_exit(self) -> None:
        # An FVP shuts down cleanly at the UART's EOT even after a hard fault.
        result = self.run_runner("echo 'Hard Fault at 0x1234'; echo 'SELFTEST PASSED'\n",
                                 "--expect=SELFTEST PASSED", "--fail_on=(?i)hard ?fault")
        self.assert_fails(result, "the output has 'Hard Fault'")

    def test_silent_simulator_fails(self) -> None:
        result = self.run_runner("exit 0\n")
        self.assert_fails(result, "the program printed nothing (exit 0)")

    def test_crashing_simulator_fails(self) -> None:
        result = self.run_runner("echo 'SELFTEST PASSED'; kill -SEGV $$\n",
                                 "--expect=SELFTEST PASSED")
        self.assert_fails(result, "the simulator was killed by SIGSEGV")

    def test_hanging_simulator_is_killed_at_the_timeout(self) -> None:
        # The child sleep holds the output pipe: the runner must kill it too.
        start = time.monotonic()
        result = self.run_runner("echo 'SELFTEST PASSED'; sleep 60\n", "--timeout=1",
                                 "--expect=SELFTEST PASSED")
        self.assert_fails(result, "the simulator did not finish within 1 s")
        self.assertIn("SELFTEST PASSED", result.stdout)
        self.assertLess(time.monotonic() - start, 30)

    def test_missing_simulator_fails(self) -> None:
        result = self.run_runner(None)
        self.assert_fails(result, "simulator")
        self.assertIn("is missing or not executable", result.stderr)

    def test_simulator_that_cannot_start_fails(self) -> None:
        # Executable, but no format this host runs (e.g. an FVP for another CPU).
        result = self.run_runner(b"\x00\x01garbage")
        self.assert_fails(result, "cannot run simulator")
        self.assertIn("fake-simulator: [Errno 8] Exec format error", result.stderr)

    def test_simulator_gets_its_arguments_with_placeholders_replaced(self) -> None:
        scratch = self.create_tempdir().full_path
        result = self.run_runner('printf "%s\\n" "$@"\n',
                                 simulator_args=("-C", "cwd={CWD}", "arg={TEST_TMPDIR}/x.bin",
                                                 "-a", "app.elf"),
                                 env={"TEST_TMPDIR": scratch})
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0], "-C")
        self.assertRegex(lines[1], r"^cwd=/.+")
        self.assertNotIn("{CWD}", lines[1])
        self.assertEqual(lines[2:5], [f"arg={scratch}/x.bin", "-a", "app.elf"])

    def test_output_is_kept_in_the_undeclared_outputs(self) -> None:
        outputs = pathlib.Path(self.create_tempdir().full_path) / "outputs"
        result = self.run_runner("echo 'SELFTEST PASSED'\n",
                                 env={"TEST_UNDECLARED_OUTPUTS_DIR": str(outputs)})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual((outputs / "fake-simulator.log").read_text(), "SELFTEST PASSED\n")


if __name__ == "__main__":
    absltest.main()
