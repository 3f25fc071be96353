"""Creates the locked venv: wheels only, checked against the lock's SHA256.

Under --require-hashes pip checks every file the lock names, but builds an sdist
in an isolated environment with build tools (setuptools, wheel, ...) that it
downloads *without* any hash check. So every package is installed from a
binary wheel (--only-binary=:all:), except the sdists named by
--build_from_source, which are built with --no-build-isolation from the venv's
own setuptools: installed in the first step, from the lock, hash-checked.

Once built, the venv's state is recorded in FINGERPRINT (see fingerprint());
`--verify` re-checks it before the venv is used again, and exits 4 when the
venv changed since (e.g. a swapped file), so that it is rebuilt.

Run by the python_venv repository rule with the host's python3 (standard library
only: no venv exists yet). Exit status 0, or 1 with one sentence on stderr.
Usage: install_venv.py --python=PY --lock=LOCK --venv=DIR --build_from_source=NAME ...
       install_venv.py --verify --venv=DIR
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

# A lock entry: "name==version \" then indented "--hash=sha256:..." lines.
_ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==")


FINGERPRINT = ".fingerprint"
CHANGED = 4


class InstallError(Exception):
    pass


def fingerprint(venv: pathlib.Path) -> str:
    """A digest of every file's path, size, mode, inode, mtime and ctime (symlinks: target).

    Cheap (stat only, no reads) yet no file can be replaced or added without
    changing it: an unprivileged user cannot set a ctime. __pycache__
    directories are left out, since Python adds byte code there as it runs.
    """
    lines = []
    for directory, dirnames, filenames in os.walk(venv):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in (*dirnames, *filenames):
            path = pathlib.Path(directory) / name
            relative = path.relative_to(venv)
            if str(relative) in (FINGERPRINT, ".complete"):
                continue
            info = path.lstat()
            if path.is_symlink():
                lines.append(f"{relative}\0-> {os.readlink(path)}")
            elif path.is_dir():
                lines.append(f"{relative}\0dir {info.st_mode:o}")
            else:
                lines.append(f"{relative}\0{info.st_size} {info.st_mode:o} {info.st_ino} "
                             f"{info.st_mtime_ns} {info.st_ctime_ns}")
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def verify(venv: pathlib.Path) -> int:
    """Returns 0 if the venv matches its recorded fingerprint, CHANGED if not.

    A venv built before fingerprints existed gets one recorded now.
    """
    recorded = venv / FINGERPRINT
    if not recorded.is_file():
        recorded.write_text(fingerprint(venv) + "\n")
        return 0
    if recorded.read_text().strip() != fingerprint(venv):
        print(f"python_venv: {venv} changed since it was built (a file was replaced, added or "
              "removed); rebuilding it", file=sys.stderr)
        return CHANGED
    return 0


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def split_lock(text: str) -> dict[str, str]:
    """Returns each requirement of a hash-pinned lock, by normalized name, with its hash lines."""
    entries: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = _ENTRY.match(line)
        if match:
            current = entries.setdefault(normalize(match.group(1)), [])
            current.append(line)
        elif line.startswith((" ", "\t")) and current is not None:
            current.append(line)
        elif line.strip() and not line.startswith("#"):
            raise InstallError(f"unexpected line in the lock: {line!r}")
    return {name: "\n".join(lines) + "\n" for name, lines in entries.items()}


def pip(venv: pathlib.Path, requirements: str, options: list[str], pip_args: list[str]) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
        listing.write(requirements)
        listing.flush()
        result = subprocess.run(
            [str(venv / "bin/python3"), "-m", "pip", "install", "--quiet", "--no-deps",
             "--require-hashes", *options, *pip_args, "-r", listing.name],
            capture_output=True, text=True, check=False,
        )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise InstallError(f"pip install {' '.join(options)} failed: {tail[0]}")


def install(python: str, lock: pathlib.Path, venv: pathlib.Path, from_source: list[str],
            pip_args: list[str]) -> None:
    entries = split_lock(lock.read_text())
    sources = {normalize(name) for name in from_source}
    unknown = sorted(sources - entries.keys())
    if unknown:
        raise InstallError(f"--build_from_source names {', '.join(unknown)}, which {lock} does not lock")
    shutil.rmtree(venv, ignore_errors=True)
    result = subprocess.run([python, "-m", "venv", str(venv)], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise InstallError(f"`{python} -m venv` failed: {result.stderr.strip()}")
    wheels = "".join(text for name, text in sorted(entries.items()) if name not in sources)
    pip(venv, wheels, ["--only-binary=:all:"], pip_args)
    if sources:
        built = "".join(entries[name] for name in sorted(sources))
        # No cache: pip would re-use a wheel it built earlier, with isolation.
        pip(venv, built, ["--no-binary=:all:", "--no-build-isolation", "--no-cache-dir"], pip_args)
    (venv / FINGERPRINT).write_text(fingerprint(venv) + "\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verify", action="store_true",
                        help="Only check the built venv against its fingerprint.")
    parser.add_argument("--python", help="The interpreter the venv is made from.")
    parser.add_argument("--lock", type=pathlib.Path)
    parser.add_argument("--venv", required=True, type=pathlib.Path)
    parser.add_argument("--build_from_source", action="append", default=[],
                        help="A locked package that has no wheel; repeatable.")
    parser.add_argument("--pip_arg", action="append", default=[],
                        help="Extra pip option, e.g. an index (tests use a local one).")
    args = parser.parse_args(argv[1:])
    if args.verify:
        return verify(args.venv)
    if not args.python or not args.lock:
        parser.error("--python and --lock are required to build a venv")
    try:
        install(args.python, args.lock, args.venv, args.build_from_source, args.pip_arg)
    except InstallError as error:
        print(f"python_venv: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
