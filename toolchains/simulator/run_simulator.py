"""Runs a program on a simulator (QEMU or an Arm FVP) for a test and decides the verdict.

The arguments after `--` are the simulator's command line; `{TEST_TMPDIR}` in
them becomes the test's scratch directory and `{CWD}` the working directory
(semihosting resolves the program's file names against it). The run passes only
if the simulator finished within --timeout, printed something, exited with
--expect_exit (the program's semihosting exit code), printed every --expect text
and nothing that matches a --fail_on pattern. Anything else fails with one
`FAIL: ...` line saying why; the output is printed either way and kept in
TEST_UNDECLARED_OUTPUTS_DIR when Bazel provides it.

  run_simulator --simulator BIN [--expect TEXT]... [--expect_exit N]
                [--fail_on REGEX]... [--timeout S] -- SIMULATOR_ARGS...
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence

from absl import app, flags

_SIMULATOR = flags.DEFINE_string("simulator", None, "The simulator's executable.", required=True)
_EXPECT = flags.DEFINE_multi_string("expect", [], "Text the output must contain.")
_EXPECT_EXIT = flags.DEFINE_integer("expect_exit", 0, "The simulator's expected exit status.")
_FAIL_ON = flags.DEFINE_multi_string("fail_on", [], "A regular expression the output must not match.")
_TIMEOUT = flags.DEFINE_float("timeout", 60, "Wall-clock seconds before the simulator is killed.")


@dataclasses.dataclass(frozen=True)
class Run:
    """What a simulator did: its exit status (None: killed at the timeout) and output."""

    status: int | None
    output: str


def run(command: Sequence[str], timeout: float) -> Run:
    """Runs command with stdout and stderr merged, killing it after timeout seconds."""
    # A session of its own: at the timeout the whole process group is killed, so
    # no child (a wrapper script's, a simulator's helper) keeps the pipe open.
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, start_new_session=True) as process:
        try:
            output, _ = process.communicate(timeout=timeout)
            status: int | None = process.returncode
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            status = None
    return Run(status, output.decode("utf-8", errors="replace"))


def verdict(result: Run, *, timeout: float, expect_exit: int, expect: Sequence[str],
            fail_on: Sequence[str]) -> str | None:
    """Why the run failed, or None when it passed."""
    if result.status is None:
        return f"the simulator did not finish within {timeout:g} s"
    if result.status < 0:
        return f"the simulator was killed by {signal.Signals(-result.status).name}"
    if not result.output.strip():
        return f"the program printed nothing (exit {result.status})"
    if result.status != expect_exit:
        return f"exit status {result.status}, expected {expect_exit}"
    for pattern in fail_on:
        match = re.search(pattern, result.output)
        if match:
            return f"the output has '{match.group(0)}' (matches {pattern!r})"
    for text in expect:
        if text not in result.output:
            return f"expected output '{text}' not found"
    return None


def substitute(arguments: Sequence[str], scratch: str, cwd: str) -> list[str]:
    return [a.replace("{TEST_TMPDIR}", scratch).replace("{CWD}", cwd) for a in arguments]


def main(argv: list[str]) -> int:
    simulator = pathlib.Path(_SIMULATOR.value)
    if not (simulator.is_file() and os.access(simulator, os.X_OK)):
        print(f"FAIL: simulator {simulator} is missing or not executable", file=sys.stderr)
        return 1
    scratch = os.environ.get("TEST_TMPDIR") or tempfile.gettempdir()
    command = [str(simulator), *substitute(argv[1:], scratch, os.getcwd())]
    try:
        result = run(command, _TIMEOUT.value)
    except OSError as error:  # e.g. not an executable format for this host
        print(f"FAIL: cannot run simulator {simulator}: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(result.output)
    sys.stdout.flush()
    outputs = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
    if outputs:
        log = pathlib.Path(outputs) / f"{simulator.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(result.output)
    failure = verdict(result, timeout=_TIMEOUT.value, expect_exit=_EXPECT_EXIT.value,
                      expect=_EXPECT.value, fail_on=_FAIL_ON.value)
    if failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        return 1
    print(f"PASS: exit {result.status} and {len(_EXPECT.value)} expected text(s) seen")
    return 0


if __name__ == "__main__":
    app.run(main)
