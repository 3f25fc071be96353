"""Writes a small .deb for //tests:debian_fetch_test and prints its SHA256.

Its data.tar.xz holds what unpacking must reproduce as `dpkg-deb -x` does:
modes other than 0644/0755, a set-uid file and a set-gid directory (whose bits
must be cleared), a relative and an absolute symlink and a hard link.
Usage: make_deb.py OUT.deb
"""

from __future__ import annotations

import hashlib
import io
import pathlib
import sys
import tarfile

# (name, type, mode, content or link target)
MEMBERS = [
    ("./", tarfile.DIRTYPE, 0o755, ""),
    ("./usr/", tarfile.DIRTYPE, 0o755, ""),
    ("./usr/bin/", tarfile.DIRTYPE, 0o755, ""),
    ("./usr/bin/tool", tarfile.REGTYPE, 0o755, "#!/bin/sh\necho tool\n"),
    ("./usr/bin/su", tarfile.REGTYPE, 0o4755, "set-uid\n"),
    ("./usr/bin/tool-link", tarfile.SYMTYPE, 0o777, "tool"),
    ("./usr/bin/tool-hard", tarfile.LNKTYPE, 0o755, "./usr/bin/tool"),
    ("./usr/lib/", tarfile.DIRTYPE, 0o755, ""),
    ("./usr/lib/private/", tarfile.DIRTYPE, 0o700, ""),
    ("./usr/lib/private/data", tarfile.REGTYPE, 0o640, "data\n"),
    ("./etc/", tarfile.DIRTYPE, 0o755, ""),
    ("./etc/tool", tarfile.SYMTYPE, 0o777, "/usr/bin/tool"),
    ("./var/", tarfile.DIRTYPE, 0o755, ""),
    ("./var/mail/", tarfile.DIRTYPE, 0o2775, ""),
]


def tar_xz(members: list[tuple[str, bytes, int, str]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz", format=tarfile.GNU_FORMAT) as archive:
        for name, kind, mode, value in members:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = kind, mode, 0
            data = b""
            if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = value
            elif kind == tarfile.REGTYPE:
                data = value.encode()
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def ar(members: list[tuple[str, bytes]]) -> bytes:
    out = [b"!<arch>\n"]
    for name, data in members:
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode()
        out += [header, data, b"\n" if len(data) % 2 else b""]
    return b"".join(out)


def deb() -> bytes:
    control = tar_xz([("./", tarfile.DIRTYPE, 0o755, ""),
                      ("./control", tarfile.REGTYPE, 0o644, "Package: fixture\nVersion: 1.0\n")])
    data = tar_xz(MEMBERS)
    return ar([("debian-binary", b"2.0\n"), ("control.tar.xz", control), ("data.tar.xz", data)])


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: make_deb.py OUT.deb", file=sys.stderr)
        return 2
    content = deb()
    pathlib.Path(argv[1]).write_bytes(content)
    print(hashlib.sha256(content).hexdigest())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
