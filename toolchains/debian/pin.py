"""Prints pinned entries (package, version, file name, SHA256) for Debian packages.

Reads apt's index for the given `name` or `name=version` arguments, using the
host's apt configuration, and prints Starlark dict entries to paste into a
toolchain's package table. Usage: python3 toolchains/debian/pin.py qemu-user-static ...
"""

from __future__ import annotations

import pathlib
import subprocess
import sys


def main(argv: list[str]) -> int:
    records = subprocess.run(
        ["apt-cache", "show", "--no-all-versions", *argv[1:]],
        capture_output=True, text=True, check=True,
    ).stdout
    for record in records.strip().split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in record.splitlines() if ": " in line and line[0] != " "
        )
        name = pathlib.PurePosixPath(fields["Filename"]).name
        print(f'    "{fields["Package"]}": ("{fields["Version"]}", "{name}", "{fields["SHA256"]}"),')
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
