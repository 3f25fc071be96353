"""Prints pinned entries (package, version, pool path, SHA256) for Debian 12 packages.

Reads the Debian 12 indexes (bookworm, bookworm-updates, bookworm-security from
the mirrors in mirrors.json) with a private apt configuration, not the host's,
for the given `name` or `name=version` arguments, and prints Starlark dict
entries to paste into a toolchain's package table:

    "name": ("version", "<archive>/pool/.../file.deb", "sha256"),

debian.bzl downloads each from the archive's mirror with Bazel's downloader.
Usage (from the workspace): python3 -m toolchains.debian.pin qemu-user-static libglib2.0-0=2.74.6-2+deb12u8 ...
"""

from __future__ import annotations

import pathlib
import sys
import tempfile
from urllib.parse import unquote

from toolchains.debian import debs

# The suites the toolchain repositories are pinned from.
SUITES = {"debian": ["bookworm", "bookworm-updates"], "debian-security": ["bookworm-security"]}


def entries(specs: list[str], root: pathlib.Path) -> list[str]:
    apt = debs.PrivateApt(root, debs.sources(SUITES), arch="amd64")
    apt.run("apt-get", "update")
    lines = []
    # Each line: 'URL' LOCAL_FILE SIZE SHA256:HEX; the local name keeps the epoch.
    for line in apt.run("apt-get", "download", "--print-uris", *specs).splitlines():
        url, local, _, digest = line.split()
        algorithm, _, sha256 = digest.partition(":")
        if algorithm != "SHA256":
            raise debs.FetchError(f"apt gives no SHA256 for {url}")
        package, version = unquote(local).split("_")[:2]
        path = debs.pinned_path(unquote(url.strip("'")))
        lines.append(f'    "{package}": ("{version}", "{path}", "{sha256}"),')
    return lines


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory() as scratch:
            print("\n".join(entries(argv[1:], pathlib.Path(scratch))))
    except debs.FetchError as error:
        print(f"pin: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
