"""Compares the host runner's C++ action keys under two host compiler situations.

A hermetic host toolchain makes the keys of compile and link actions independent
of the compilers a machine has installed, which is what lets machines share a
remote cache. This runs the same `aquery` in three fresh output bases: with the caller's
PATH; with a PATH without any C/C++ compiler or binutils (a directory of
symlinks to everything else) and an otherwise empty environment; and with the
host's gcc in another directory first on that PATH. It compares the action keys
output by output with the first's.

Usage (from the workspace, which it runs ./bazel in):
    python3 -m tools.hermetic_cc.action_keys [--target //runtime:executor_runner]
Exit status 0 when every situation gives the same, non-empty set of keys.
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


def other_compiler_path(directory: pathlib.Path, compiler_free: str) -> str:
    """A PATH whose gcc is the host's under another name and directory, as on a machine that installed it elsewhere."""
    directory.mkdir(parents=True, exist_ok=True)
    for tool in ("gcc", "g++", "cc", "c++", "cpp", "as", "ld"):
        real = shutil.which(tool)
        if real:
            (directory / tool).symlink_to(os.path.realpath(real))
    return f"{directory}:{compiler_free}"


def compare(reference: dict[str, str], other: dict[str, str]) -> tuple[int, list[str]]:
    """The number of outputs with the same key in both, and the outputs that differ or exist in one only."""
    same = sum(1 for k in reference.keys() & other.keys() if reference[k] == other[k])
    differ = sorted(k for k in reference.keys() | other.keys() if reference.get(k) != other.get(k))
    return same, differ


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="//runtime:executor_runner")
    parser.add_argument("--workspace", type=pathlib.Path, default=pathlib.Path.cwd())
    parser.add_argument("--scratch", type=pathlib.Path, help="output bases go here (default: a temporary directory)")
    args = parser.parse_args(argv[1:])
    query = f'mnemonic("CppCompile|CppLink|CppArchive", deps({args.target}))'
    scratch = args.scratch or pathlib.Path(tempfile.mkdtemp(prefix="action_keys_"))
    home = os.environ["HOME"]
    compiler_free = compiler_free_path(scratch / "path")
    found = [t for t in ("gcc", "g++", "cc", "as", "ld") if shutil.which(t, path=compiler_free)]
    if found:
        print(f"action_keys: still on the compiler-free PATH: {', '.join(found)}", file=sys.stderr)
        return 1
    situations = {
        "host PATH": dict(os.environ),
        "no compiler on PATH": {"HOME": home, "PATH": compiler_free},
        "gcc in another directory": {"HOME": home, "PATH": other_compiler_path(scratch / "other_gcc", compiler_free)},
    }
    keys: dict[str, dict[str, str]] = {}
    for index, (name, env) in enumerate(situations.items()):
        try:
            keys[name] = run_aquery(args.workspace, scratch / f"output_base_{index}", query, env)
        except RuntimeError as error:
            print(f"{name}: {error}", file=sys.stderr)
    print(query)
    reference_name = next(iter(situations))
    reference = keys.get(reference_name, {})
    ok = bool(reference) and len(keys) == len(situations)
    for name in situations:
        if name not in keys:
            print(f"  {name}: aquery failed")
            continue
        same, differ = compare(reference, keys[name])
        print(f"  {name}: {len(keys[name])} actions, {same} keys identical to {reference_name}'s, {len(differ)} not")
        for key in differ:
            print(f"    differs: {key}")
        ok = ok and not differ
    if not args.scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
