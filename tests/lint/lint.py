"""Runs one linter over files given as test data; the test fails on any finding.

Usage (from a py_test; ROOT is @lint_sources' ws/LINT_ROOT):
  lint.py --tool=ruff --root=ROOT --config=pyproject.toml FILE...
  lint.py --tool=mypy --root=ROOT --config=pyproject.toml FILE...
  lint.py --tool=bandit --root=ROOT FILE...
  lint.py --tool=buildifier --root=ROOT --buildifier=PATH FILE...

The files are @lint_sources' symlinks to the workspace's, under ws/; the tools
run in ws/, so paths in findings are workspace-relative (BUILD files carry a
.lint suffix there, which is removed from the output). ruff, mypy and bandit are
the locked venv's, run as `python -m` by the registered Python toolchain's
interpreter; buildifier is the pinned binary from @buildifier.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence

TOOLS = ("ruff", "ruff-format", "mypy", "bandit", "buildifier")

# How to fix what a tool reports, from the workspace root.
_HINTS = {
    "buildifier": "./bazel run //toolchains/buildifier -- -lint=fix $PWD/FILE (then fix the rest by hand)",
    "ruff": "ruff check --fix FILE with the venv's ruff, or by hand",
    "ruff-format": "ruff format FILE with the venv's ruff",
}

# @lint_sources renames BUILD files so that they make no packages there.
_RENAMED = re.compile(r"\b((?:BUILD|WORKSPACE)(?:\.bazel)?)\.lint\b")


def command(tool: str, files: Sequence[str], config: str | None, buildifier: str | None, cache: str) -> list[str]:
    """The command line that checks files with tool."""
    python = [sys.executable, "-m"]
    if tool in ("ruff", "ruff-format", "mypy") and not config:
        raise SystemExit(f"lint.py: --tool={tool} needs --config")
    if tool == "ruff":
        return [*python, "ruff", "check", "--no-cache", "--output-format=concise", f"--config={config}", *files]
    if tool == "ruff-format":
        return [*python, "ruff", "format", "--check", "--diff", "--no-cache", f"--config={config}", *files]
    if tool == "mypy":
        return [*python, "mypy", f"--config-file={config}", f"--cache-dir={cache}", *files]
    if tool == "bandit":
        return [*python, "bandit", "--quiet", "--severity-level=medium", "--format=custom", *_bandit_template(), *files]
    if tool == "buildifier":
        if not buildifier:
            raise SystemExit("lint.py: --tool=buildifier needs --buildifier")
        return [buildifier, "-mode=check", "-lint=warn", "-v=false", *files]
    raise SystemExit(f"lint.py: unknown tool {tool!r}")


def _bandit_template() -> list[str]:
    return ["--msg-template={relpath}:{line}:{col}: {test_id} [{severity}/{confidence}] {msg}"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Runs one linter over files; fails on any finding.")
    parser.add_argument("--tool", required=True, choices=TOOLS)
    parser.add_argument("--root", required=True, help="a file in the directory that mirrors the workspace")
    parser.add_argument("--config", help="pyproject.toml with the tool's settings")
    parser.add_argument("--buildifier", help="path of the buildifier binary")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args(argv)

    root = os.path.dirname(os.path.abspath(args.root))
    files = [os.path.relpath(os.path.abspath(path), root) for path in args.files]
    config = os.path.relpath(os.path.abspath(args.config), root) if args.config else None
    buildifier = os.path.abspath(args.buildifier) if args.buildifier else None
    os.chdir(root)
    missing = [path for path in files if not os.path.isfile(path)]
    if missing:
        print(f"lint.py: not in the runfiles: {', '.join(missing)}", file=sys.stderr)
        return 2

    # Tools must not write caches or settings outside the test's sandbox.
    cache = os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp(prefix="lint-")
    env = dict(os.environ, HOME=cache, XDG_CACHE_HOME=cache, NO_COLOR="1")
    argv_ = command(args.tool, files, config, buildifier, os.path.join(cache, "mypy"))
    print(f"{args.tool}: checking {len(files)} files", flush=True)
    result = subprocess.run(argv_, env=env, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(_RENAMED.sub(r"\1", result.stdout), end="", flush=True)
    if result.returncode != 0:
        print(f"FAILED: {args.tool} reported findings (exit {result.returncode}); see above", file=sys.stderr)
        if args.tool in _HINTS:
            print(f"To fix: {_HINTS[args.tool]}", file=sys.stderr)
        return 1
    print(f"{args.tool}: no findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
