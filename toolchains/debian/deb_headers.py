"""Makes a tree unpacked from a .deb's data.tar match its headers, as `dpkg-deb -x` does.

debian.bzl unpacks each package with Bazel's own extractor, which writes file
contents, symlinks and hard links, but:
- not always the permission bits: where Bazel cannot load its native file
  system library (the relocated Bazel here), it sets only the owner's execute
  bit, so a 0755 executable comes out 0744, and directories keep the default
  mode;
- an absolute symlink target is rewritten to point into the extraction
  directory.
This sets every file's and directory's permission bits to the header's, except
set-uid and set-gid, which no repository needs (debian.bzl's clear_setid_bits
checks that none remain), and every symlink's target to the header's. It also
checks that each member exists with the header's type.

Usage: deb_headers.py DATA_TAR ROOT   (one line on stderr and exit 1 on failure)
"""

from __future__ import annotations

import os
import pathlib
import stat
import sys
import tarfile

_KEPT_BITS = 0o1777  # permission bits and sticky; never set-uid or set-gid


def member_path(root: pathlib.Path, name: str) -> pathlib.Path | None:
    """The unpacked path of a tar member name (None for the archive's root)."""
    parts = [part for part in pathlib.PurePosixPath(name).parts if part not in ("", ".")]
    if not parts:
        return None
    if name.startswith("/") or ".." in parts:
        raise ValueError(f"member {name!r} leaves the unpacked tree")
    return root.joinpath(*parts)


def apply_headers(data_tar: pathlib.Path, root: pathlib.Path) -> int:
    """Sets modes and symlink targets; returns the number of members changed."""
    changed = 0
    with tarfile.open(data_tar) as archive:
        for member in archive:
            path = member_path(root, member.name)
            if path is None:
                continue
            mode = os.lstat(path).st_mode
            if member.issym():
                if not stat.S_ISLNK(mode):
                    raise ValueError(f"{member.name} was not unpacked as a symlink")
                if os.readlink(path) != member.linkname:
                    path.unlink()
                    path.symlink_to(member.linkname)
                    changed += 1
                continue
            if member.isdir() != stat.S_ISDIR(mode) or stat.S_ISLNK(mode):
                raise ValueError(f"{member.name} was not unpacked as a {'directory' if member.isdir() else 'file'}")
            if stat.S_IMODE(mode) != member.mode & _KEPT_BITS:
                os.chmod(path, member.mode & _KEPT_BITS)
                changed += 1
    return changed


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: deb_headers.py DATA_TAR ROOT", file=sys.stderr)
        return 2
    try:
        apply_headers(pathlib.Path(argv[1]), pathlib.Path(argv[2]))
    except (OSError, ValueError, tarfile.TarError) as error:
        print(f"deb_headers: {argv[1]}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
