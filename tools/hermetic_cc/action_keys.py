"""Compares the host runner's C++ action keys under two host compiler situations.

A hermetic host toolchain makes the keys of compile and link actions independent
of the compilers a machine has installed, which is what lets machines share a
remote cache. This runs the same `aquery` in two fresh output bases, one with the
caller's PATH and one with a PATH without any C/C++ compiler or binutils (a
directory of symlinks to everything else) and an otherwise empty environment,
and compares the action keys output by output.

Usage (from the workspace, which it runs ./bazel in):
    python3 -m tools.hermetic_cc.action_keys [--target //runtime:executor_runner]
Exit status 0 when both situations give the same, non-empty set of keys.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Any

# What a host compiler installation puts on PATH (gcc, g++, cc, c++, cpp, as,
# ld, their versioned and triplet-prefixed names, and clang's).
_COMPILER = re.compile(r"^((gcc|g\+\+|cc|c\+\+|cpp|c89|c99|as|ld|clang|clang\+\+)([-.].*)?|x86_64-linux-gnu-.*)$")

_PATH_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]


def compiler_free_path(directory: pathlib.Path) -> str:
    """Fills directory with symlinks to every PATH executable except compilers; returns it as PATH."""
    directory.mkdir(parents=True, exist_ok=True)
    for source in _PATH_DIRS:
        if not os.path.isdir(source):
            continue
        for entry in sorted(os.listdir(source)):
            link = directory / entry
            if _COMPILER.match(entry) or link.exists() or link.is_symlink():
                continue
            link.symlink_to(os.path.join(source, entry))
    return str(directory)


def action_keys(aquery: dict[str, Any]) -> dict[str, str]:
    """Maps "<mnemonic> <first output path>" to the action key, from aquery's jsonproto."""
    fragments = {f["id"]: f for f in aquery.get("pathFragments", [])}

    def path(fragment_id: int) -> str:
        parts = []
        while fragment_id:
            fragment = fragments[fragment_id]
            parts.append(fragment["label"])
            fragment_id = fragment.get("parentId", 0)
        return "/".join(reversed(parts))

    artifacts = {a["id"]: path(a["pathFragmentId"]) for a in aquery.get("artifacts", [])}
    keys = {}
    for action in aquery.get("actions", []):
        output = artifacts[action["outputIds"][0]]
        keys[f"{action['mnemonic']} {output}"] = action["actionKey"]
    return keys


def run_aquery(workspace: pathlib.Path, output_base: pathlib.Path, query: str, env: dict[str, str]) -> dict[str, str]:
    command = ["./bazel", f"--output_base={output_base}", "aquery", query, "--output=jsonproto"]
    try:
        result = subprocess.run(command, cwd=workspace, env=env, capture_output=True, text=True, check=False)
    finally:
        # Stops the server and frees the disk: output bases are GBs.
        subprocess.run(
            ["./bazel", f"--output_base={output_base}", "clean", "--expunge"],
            cwd=workspace,
            env=env,
            capture_output=True,
            check=False,
        )
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"aquery failed (exit {result.returncode}):\n{tail}")
    return action_keys(json.loads(result.stdout))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="//runtime:executor_runner")
    parser.add_argument("--workspace", type=pathlib.Path, default=pathlib.Path.cwd())
    parser.add_argument("--scratch", type=pathlib.Path, help="output bases go here (default: a temporary directory)")
    args = parser.parse_args(argv[1:])
    query = f'mnemonic("CppCompile|CppLink|CppArchive", deps({args.target}))'
    scratch = args.scratch or pathlib.Path(tempfile.mkdtemp(prefix="action_keys_"))
    home = os.environ["HOME"]
    situations = {
        "host_path": dict(os.environ),
        "no_compiler": {"HOME": home, "PATH": compiler_free_path(scratch / "path")},
    }
    found = [t for t in ("gcc", "g++", "cc", "as", "ld") if shutil.which(t, path=situations["no_compiler"]["PATH"])]
    if found:
        print(f"action_keys: still on the compiler-free PATH: {', '.join(found)}", file=sys.stderr)
        return 1
    keys = {}
    for name, env in situations.items():
        try:
            keys[name] = run_aquery(args.workspace, scratch / name, query, env)
        except RuntimeError as error:
            print(f"{name}: {error}", file=sys.stderr)
            return 1
    first, second = keys["host_path"], keys["no_compiler"]
    same = sorted(k for k in first.keys() & second.keys() if first[k] == second[k])
    differ = sorted(k for k in first.keys() & second.keys() if first[k] != second[k])
    only = sorted(first.keys() ^ second.keys())
    print(f"{query}: host PATH {len(first)} actions, compiler-free PATH {len(second)} actions")
    print(f"identical keys: {len(same)}, different keys: {len(differ)}, in one situation only: {len(only)}")
    for key in differ + only:
        print(f"  differs: {key}")
    if not args.scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if first and not differ and not only else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
