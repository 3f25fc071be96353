"""Cold-build wall time of ArmCompile actions: persistent worker vs one process per action.

  bazel run //tools/bench:compile_modes -- [--targets=//tests:u55_add_program,...] \
      [--output=compile_modes.json] [--modes=worker,no_worker] [--keep]

For each mode, on this machine and one after the other: a fresh Bazel output
base under a temporary directory (so no action cache, no output tree and no
worker survives from anything else), no disk cache and no remote cache hits;
loading, fetching and analysis run first with --nobuild and are not timed; then
the build of the targets is timed. Both modes build one copy of the workspace
taken at the start (--snapshot), so edits made meanwhile in a shared tree do not
reach one mode only. Worker mode is the repository's default
(.bazelrc); plain mode is `--config=no_worker`. Every ArmCompile spawn is read
back from Bazel's execution log (count and the runner that ran it), and the
programs and reports of both modes are compared byte for byte.

Default targets: the arm_compile rules the //tests:u55 and //tests:u85 suites
depend on (//tests:u55_*_program, //tests:u85_*_program). Prints a table and
writes it as JSON with --output (relative to where `bazel run` was started).
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from absl import app, flags

MODES = {
    # mode: extra build flags
    "worker": [],
    "no_worker": ["--config=no_worker"],
}
MNEMONIC = "ArmCompile"
# The outputs compared across modes: programs and reports (reproducible), not
# e.g. a compile's timing.
PROGRAM_FILES = (".pte", ".bpte", ".report.json")

_TARGETS = flags.DEFINE_list("targets", [], "Targets to build (default: the arm_compile rules of --suites).")
_SUITES = flags.DEFINE_list("suites", ["//tests:u55", "//tests:u85"], "Suites whose arm_compile rules are built.")
_MODES = flags.DEFINE_list("modes", list(MODES), f"Modes to time, in this order; of: {', '.join(MODES)}.")
_OUTPUT = flags.DEFINE_string("output", None, "Also write the results as JSON here.")
_WORKSPACE = flags.DEFINE_string(
    "workspace", None, "The workspace (default: BUILD_WORKSPACE_DIRECTORY, set by `bazel run`)."
)
_KEEP = flags.DEFINE_boolean("keep", False, "Keep the temporary output bases (their paths are printed).")
_SNAPSHOT = flags.DEFINE_boolean(
    "snapshot",
    True,
    "Build a copy of the workspace taken at the start (git's tracked and untracked, not ignored, files and "
    "the .bazelrc.* files), so that both modes build the same sources while others edit the tree.",
)

# Nothing may answer from a cache: every action of the timed build runs.
COLD = [
    "--noremote_accept_cached",
    "--noremote_upload_local_results",
    "--disk_cache=",
    "--color=no",
    "--curses=no",
]


@dataclass
class Result:
    mode: str
    actions: int  # ArmCompile spawns executed
    failed: int  # of which exited non-zero (the same in both modes, or the comparison is void)
    wall_seconds: float
    seconds_per_action: float
    action_seconds: float  # the ArmCompile spawns' own times (Bazel's metrics.totalTime), summed
    runners: dict[str, int]  # ArmCompile spawns per runner ("worker", "processwrapper-sandbox", ...)
    bazel_summary: str  # Bazel's own "N processes: ..." line
    outputs: dict[str, str] = field(default_factory=dict)  # output path -> SHA256
    action_times: dict[str, float] = field(default_factory=dict)  # target -> its ArmCompile spawn's seconds


class Bazel:
    """The workspace's ./bazel launcher on its own output base."""

    def __init__(self, workspace: pathlib.Path, output_base: pathlib.Path) -> None:
        self.workspace = workspace
        self.output_base = output_base
        # Nothing of `bazel run`'s own environment (runfiles, working directory).
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("RUNFILES_", "BUILD_", "PYTHON")) and k not in ("JAVA_RUNFILES",)
        }

    def run(self, command: str, *args: str, failed_build_ok: bool = False) -> subprocess.CompletedProcess[str]:
        """Runs a command; a non-zero exit raises, except 1 (build failed) with failed_build_ok."""
        argv = [str(self.workspace / "bazel"), f"--output_base={self.output_base}", command, *args]
        result = subprocess.run(argv, cwd=self.workspace, env=self.env, capture_output=True, text=True, check=False)
        if result.returncode != 0 and not (failed_build_ok and result.returncode == 1):
            sys.stderr.write(result.stderr[-5000:])
            raise RuntimeError(f"`{' '.join(argv)}` failed with exit status {result.returncode}")
        return result

    def shutdown(self) -> None:
        subprocess.run(
            [str(self.workspace / "bazel"), f"--output_base={self.output_base}", "shutdown"],
            cwd=self.workspace,
            env=self.env,
            capture_output=True,
            check=False,
        )


def snapshot(workspace: pathlib.Path, destination: pathlib.Path) -> dict[str, Any]:
    """Copies the workspace's source files to destination; returns what was copied, from which commit."""

    def git(*args: str) -> bytes:
        return subprocess.run(["git", "-C", str(workspace), *args], capture_output=True, check=True).stdout

    names = [os.fsdecode(n) for n in git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split(b"\0")]
    names += [".bazelrc.provisioned", ".bazelrc.user"]  # git-ignored, read by .bazelrc
    copied = 0
    for name in names:
        source = workspace / name
        if name and source.is_file():  # a tracked file may be deleted in the work tree
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
            copied += 1
    return {
        "files": copied,
        "commit": git("rev-parse", "HEAD").decode().strip(),
        "uncommitted_changes": bool(git("status", "--porcelain").strip()),
    }


def default_targets(bazel: Bazel, suites: Sequence[str]) -> list[str]:
    # The suites' tests take a program's outputs as data (filegroups over the
    # arm_compile rule, see arm_program). Not deps(): that loads every test's
    # implicit dependencies, coverage tools included, which cannot be fetched offline.
    query = f'kind("arm_compile rule", labels(srcs, labels(data, tests(set({" ".join(suites)})))))'
    labels = bazel.run("query", query, "--output=label").stdout.split()
    if not labels:
        raise RuntimeError(f"no arm_compile rules under {', '.join(suites)}")
    return sorted(labels)


def read_execution_log(path: pathlib.Path) -> list[dict[str, Any]]:
    """Bazel's --execution_log_json_file: a sequence of JSON objects, one per spawn."""
    text, decoder, position = path.read_text(), json.JSONDecoder(), 0
    spawns: list[dict[str, Any]] = []
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return spawns
        spawn, position = decoder.raw_decode(text, position)
        spawns.append(spawn)


def _summary_line(stderr: str) -> str:
    lines = [line.removeprefix("INFO: ") for line in stderr.splitlines() if " processes: " in line]
    return lines[-1] if lines else ""


def _seconds(duration: Any) -> float:
    """A protobuf Duration in JSON ("12.5s") as seconds."""
    return float(str(duration).removesuffix("s") or 0)


def _sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_mode(mode: str, bazel: Bazel, targets: Sequence[str], scratch: pathlib.Path) -> Result:
    flags_ = [*COLD, *MODES[mode]]
    print(f"[{mode}] loading and analysis (not timed) in {bazel.output_base}", flush=True)
    bazel.run("build", "--nobuild", *flags_, *targets)
    log = scratch / f"{mode}.execution_log.json"
    print(f"[{mode}] building {len(targets)} targets cold", flush=True)
    started = time.monotonic()
    build = bazel.run(
        "build", *flags_, "--keep_going", f"--execution_log_json_file={log}", *targets, failed_build_ok=True
    )
    wall = time.monotonic() - started
    compiles = [s for s in read_execution_log(log) if s.get("mnemonic") == MNEMONIC]
    if any(s.get("cacheHit") for s in compiles):
        raise RuntimeError(f"[{mode}] an {MNEMONIC} action was a cache hit: the build was not cold")
    runners = Counter(str(s.get("runner", "?")) for s in compiles)
    execution_root = pathlib.Path(bazel.run("info", *flags_, "execution_root").stdout.strip())
    files = bazel.run("cquery", *flags_, "--output=files", " + ".join(targets)).stdout.split()
    outputs = {
        name: _sha256(execution_root / name)
        for name in sorted(files)
        if name.endswith(PROGRAM_FILES) and (execution_root / name).is_file()
    }
    count = len(compiles)
    times = {str(s.get("targetLabel")): _seconds(s.get("metrics", {}).get("totalTime", "0s")) for s in compiles}
    return Result(
        mode=mode,
        actions=count,
        failed=sum(1 for s in compiles if s.get("exitCode", 0) != 0),
        wall_seconds=round(wall, 2),
        seconds_per_action=round(wall / count, 2) if count else 0.0,
        action_seconds=round(sum(times.values()), 1),
        runners=dict(sorted(runners.items())),
        bazel_summary=_summary_line(build.stderr),
        outputs=outputs,
        action_times=dict(sorted(times.items())),
    )


def _remove(path: pathlib.Path) -> None:
    """Removes an output base, whose trees Bazel leaves read-only."""

    def writable(function: Any, name: str, _: Any) -> None:
        os.chmod(os.path.dirname(name), stat.S_IRWXU)
        if os.path.lexists(name) and not os.path.islink(name):
            os.chmod(name, stat.S_IRWXU)
        function(name)

    shutil.rmtree(path, onerror=writable)


def table(results: Sequence[Result], speedup: float | None) -> str:
    rows = [("mode", "actions", "failed", "wall time", "per action", "sum of action times", "runners")]
    for r in results:
        runners = ", ".join(f"{n} {k}" for k, n in r.runners.items())
        rows.append(
            (
                r.mode,
                str(r.actions),
                str(r.failed),
                f"{r.wall_seconds:.1f} s",
                f"{r.seconds_per_action:.2f} s",
                f"{r.action_seconds:.0f} s",
                runners,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    if speedup is not None:
        lines.append(f"speedup (no_worker / worker wall time): {speedup:.2f}x")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    unknown = [m for m in _MODES.value if m not in MODES]
    if unknown:
        raise app.UsageError(f"unknown modes {unknown}; valid: {', '.join(MODES)}")
    workspace_dir = _WORKSPACE.value or os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if not workspace_dir:
        raise app.UsageError("run me with `bazel run` or pass --workspace")
    workspace = pathlib.Path(workspace_dir)
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="compile_modes-"))
    results: list[Result] = []
    targets = list(_TARGETS.value)
    source: dict[str, Any] = {"workspace": str(workspace)}
    try:
        if _SNAPSHOT.value:
            source |= snapshot(workspace, scratch / "workspace")
            workspace = scratch / "workspace"
            print(f"building a snapshot of {source['workspace']} ({source['files']} files) in {workspace}", flush=True)
        for mode in _MODES.value:
            bazel = Bazel(workspace, scratch / mode / "output_base")
            try:
                if not targets:
                    targets = default_targets(bazel, _SUITES.value)
                    print(f"targets: {' '.join(targets)}", flush=True)
                results.append(run_mode(mode, bazel, targets, scratch))
            finally:
                bazel.shutdown()
            if not _KEEP.value:
                _remove(scratch / mode)
    finally:
        if not _KEEP.value:
            _remove(scratch)
        else:
            print(f"kept {scratch}")

    by_mode = {r.mode: r for r in results}
    speedup = None
    if "worker" in by_mode and "no_worker" in by_mode and by_mode["worker"].wall_seconds > 0:
        speedup = round(by_mode["no_worker"].wall_seconds / by_mode["worker"].wall_seconds, 2)
    identical = len({json.dumps(r.outputs, sort_keys=True) for r in results}) == 1
    print()
    print(table(results, speedup))
    print(f"outputs byte-identical across modes: {'yes' if identical else 'NO'} ({len(results[0].outputs)} files)")
    if _OUTPUT.value:
        path = pathlib.Path(os.environ.get("BUILD_WORKING_DIRECTORY", ""), _OUTPUT.value)
        document = {
            "source": source,
            "targets": targets,
            "host": {"cpus": os.cpu_count(), "platform": sys.platform},
            "results": [asdict(r) for r in results],
            "speedup": speedup,
            "identical_outputs": identical,
        }
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        print(f"wrote {path}")
    mismatched = [r.mode for r in results if (r.actions, r.failed) != (results[0].actions, results[0].failed)]
    if mismatched or not identical:
        print(f"error: modes disagree (action or failure counts of {mismatched}, or outputs)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    app.run(main)
