"""Writes a stand-in Arm GNU Toolchain archive for //tests:arm_gnu_fetch_test; prints its SHA256.

The layout is that of Arm's release archives (one top directory named after
the release and host; bin/arm-none-eabi-*, GCC's include directories under
lib/gcc and arm-none-eabi/include). Each tool is a script that prints its name
and arguments; gcc also answers `-E -v` with its include search list, as the
repository rule asks it to.
Usage: make_arm_gnu_archive.py OUT.tar.xz TOP_DIRECTORY
"""

from __future__ import annotations

import hashlib
import io
import pathlib
import sys
import tarfile

TOOLS = ["gcc", "g++", "ar", "ld", "nm", "objcopy", "objdump", "strip", "size", "readelf"]

GCC = """#!/bin/sh
here="$(dirname "$0")"
for argument in "$@"; do
  if [ "$argument" = "-v" ]; then
    echo "#include <...> search starts here:" >&2
    echo " $here/../lib/gcc/arm-none-eabi/14.2.1/include" >&2
    echo " $here/../arm-none-eabi/include" >&2
    echo "End of search list." >&2
    exit 0
  fi
done
echo "stand-in arm-none-eabi-gcc $*"
"""


def members(top: str) -> list[tuple[str, bytes, int]]:
    """(path, content, mode) of every regular file."""
    files = [(f"{top}/bin/arm-none-eabi-gcc", GCC.encode(), 0o755)]
    for tool in TOOLS[1:]:
        script = f'#!/bin/sh\necho "stand-in arm-none-eabi-{tool} $*"\n'
        files.append((f"{top}/bin/arm-none-eabi-{tool}", script.encode(), 0o755))
    files.append((f"{top}/lib/gcc/arm-none-eabi/14.2.1/include/stdint.h", b"/* stand-in */\n", 0o644))
    files.append((f"{top}/arm-none-eabi/include/stdio.h", b"/* stand-in */\n", 0o644))
    return files


def write(out: pathlib.Path, top: str) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as archive:
        for path, content, mode in members(top):
            info = tarfile.TarInfo(path)
            info.size = len(content)
            info.mode = mode
            archive.addfile(info, io.BytesIO(content))
    out.write_bytes(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    print(write(pathlib.Path(argv[1]), argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
