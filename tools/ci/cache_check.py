"""Proves the remote cache works: hits after a clean, identical bytes, safe degradation.

Runs the workspace's ./bazel in a private output base (so it can `bazel clean`
freely) against a running remote cache:

1. build the targets (results are uploaded);
2. clean, build again: every spawned action must be a remote cache hit and the
   outputs byte-identical;
3. clean, build without accepting cached results: outputs must again be
   byte-identical (the build is reproducible, not merely cached);
4. clean, build against a cache that is down, and one that answers 500 to
   everything: the build must succeed locally and warn.

Runner names come from Bazel's own build event protocol (buildMetrics.actionSummary).
"""

from __future__ import annotations

import hashlib
import http.server
import json
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from absl import app, flags

_WORKSPACE = flags.DEFINE_string("workspace", None, "Workspace root (holds ./bazel).", required=True)
_REMOTE_CACHE = flags.DEFINE_string("remote_cache", None, "URL of the running cache.", required=True)
_TARGETS = flags.DEFINE_list("targets", None, "Targets to build.", required=True)

# Spawn runners that do not execute anything themselves.
_NON_EXECUTING = {"remote cache hit", "internal", "total"}


class CheckFailed(Exception):
    pass


@dataclass
class BuildResult:
    stderr: str
    runners: dict[str, int]
    outputs: dict[str, str]  # output path -> sha256


def _sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _parse_bep(bep: pathlib.Path) -> tuple[dict[str, int], dict[str, str]]:
    runners: dict[str, int] = {}
    outputs: dict[str, str] = {}
    for line in bep.read_text().splitlines():
        event = json.loads(line)
        summary = event.get("buildMetrics", {}).get("actionSummary", {})
        for runner in summary.get("runnerCount", []):
            runners[runner["name"]] = runners.get(runner["name"], 0) + int(runner.get("count", 0))
        for file in event.get("namedSetOfFiles", {}).get("files", []):
            uri = file.get("uri", "")
            if uri.startswith("file://"):
                path = pathlib.Path(unquote(urlparse(uri).path))
                if path.is_file():
                    outputs[str(path)] = _sha256(path)
    return runners, outputs


class Bazel:
    def __init__(self, workspace: pathlib.Path, output_base: pathlib.Path) -> None:
        self.workspace = workspace
        self.output_base = output_base

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.workspace / "bazel"), f"--output_base={self.output_base}", *args]
        result = subprocess.run(command, cwd=self.workspace, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            raise CheckFailed(f"`bazel {' '.join(args)}` failed:\n{result.stderr[-4000:]}")
        return result

    def build(self, targets: Sequence[str], *flags_: str) -> BuildResult:
        with tempfile.TemporaryDirectory() as tmp:
            bep = pathlib.Path(tmp) / "bep.json"
            result = self.run("build", "--config=ci", f"--build_event_json_file={bep}", *flags_, *targets)
            runners, outputs = _parse_bep(bep)
        return BuildResult(result.stderr, runners, outputs)


class _FailingHandler(http.server.BaseHTTPRequestHandler):
    def _fail(self) -> None:
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_PUT = do_HEAD = _fail  # noqa: N815 (http.server's naming)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        del format, args


@contextmanager
def _failing_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FailingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _expect_same(name: str, expected: dict[str, str], actual: dict[str, str]) -> None:
    if not expected:
        raise CheckFailed(f"{name}: the build reported no output files")
    if expected != actual:
        differing = sorted(k for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k))
        raise CheckFailed(f"{name}: outputs differ: {', '.join(differing)}")
    print(f"ok  {name}: {len(actual)} outputs byte-identical")


def check(workspace: pathlib.Path, cache: str, targets: Sequence[str], output_base: pathlib.Path) -> None:
    bazel = Bazel(workspace, output_base)
    remote = f"--remote_cache={cache}"
    first = bazel.build(targets, remote)
    print(f"ok  first build: runners {first.runners}")

    bazel.run("clean")
    started = time.monotonic()
    warm = bazel.build(targets, remote)
    executed = {k: v for k, v in warm.runners.items() if k not in _NON_EXECUTING}
    hits = warm.runners.get("remote cache hit", 0)
    if executed or hits == 0:
        raise CheckFailed(f"after clean, actions executed instead of hitting the cache: {warm.runners}")
    print(f"ok  after clean: {hits} remote cache hits, nothing executed ({time.monotonic() - started:.1f} s)")
    _expect_same("cache hits", first.outputs, warm.outputs)

    bazel.run("clean")
    local = bazel.build(targets, remote, "--noremote_accept_cached", "--noremote_upload_local_results")
    if not set(local.runners) - _NON_EXECUTING:
        raise CheckFailed(f"the uncached build executed nothing: {local.runners}")
    _expect_same("reproducible rebuild without cache", first.outputs, local.outputs)

    for name, url_context in (("cache down", None), ("cache answering 500", _failing_server())):
        bazel.run("clean")
        if url_context is None:
            degraded = bazel.build(targets, f"--remote_cache={_dead_url()}")
        else:
            with url_context as url:
                degraded = bazel.build(targets, f"--remote_cache={url}")
        if "WARNING" not in degraded.stderr or "emote" not in degraded.stderr:
            raise CheckFailed(f"{name}: the build succeeded but printed no remote cache warning")
        _expect_same(f"{name}: built locally with a warning", first.outputs, degraded.outputs)


def main(argv: Sequence[str]) -> None:
    del argv
    workspace = pathlib.Path(_WORKSPACE.value).resolve()
    output_base = pathlib.Path(tempfile.mkdtemp(prefix="cache-check-"))
    try:
        check(workspace, _REMOTE_CACHE.value, _TARGETS.value, output_base)
    except CheckFailed as failure:
        print(f"FAIL {failure}", file=sys.stderr)
        sys.exit(1)
    finally:
        Bazel(workspace, output_base).run("shutdown", check=False)
        shutil.rmtree(output_base, ignore_errors=True)
    print("remote cache check passed")


if __name__ == "__main__":
    app.run(main)
