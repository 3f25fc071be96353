"""Resolves the shared libraries of unpacked Debian executables as the dynamic loader would.

A repository of pinned packages runs its executables through a wrapper that
sets LD_LIBRARY_PATH to directories inside the repository. A library that is
not found there falls through to the host's /lib and /usr/lib: that is a
host leak (the tool works only where the host happens to have the library).
This module replays the loader's search (DT_RPATH, LD_LIBRARY_PATH,
DT_RUNPATH, then the system) over a repository's `closure.json` and names
every library that would come from outside the repository, except glibc's
own (the host's C library is the one thing every process shares).

closure.json, written by the repository rule next to its wrapper:
  {"roots": [paths], "library_path": [dirs], "packages": {...}}
Paths are relative to the repository. A root that is a directory stands for
every x86_64 dynamically linked executable below it.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import struct
from collections.abc import Iterable, Iterator
from typing import Any

# glibc's own libraries (Debian 12 package libc6), which every host has; all
# other libraries must come from the repository.
GLIBC_LIBRARIES = frozenset(
    {
        "ld-linux-x86-64.so.2",
        "libc.so.6",
        "libm.so.6",
        "libmvec.so.1",
        "libpthread.so.0",
        "libdl.so.2",
        "librt.so.1",
        "libresolv.so.2",
        "libutil.so.1",
        "libanl.so.1",
    }
)

_EM_X86_64 = 62
_PT_INTERP, _PT_DYNAMIC = 3, 2
_DT_NEEDED, _DT_STRTAB, _DT_RPATH, _DT_RUNPATH = 1, 5, 15, 29


class ElfError(Exception):
    """A file that claims to be ELF but cannot be read as one."""


@dataclasses.dataclass(frozen=True)
class Elf:
    """The dynamic-linking facts of one x86_64 ELF file."""

    interpreter: str | None
    needed: tuple[str, ...]
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]


def read_elf(path: pathlib.Path) -> Elf | None:
    """The file's dynamic section, or None when it is not a 64-bit little-endian x86_64 ELF."""
    data = path.read_bytes()
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    (machine,) = struct.unpack_from("<H", data, 18)
    if machine != _EM_X86_64:
        return None
    try:
        phoff, = struct.unpack_from("<Q", data, 32)
        phentsize, phnum = struct.unpack_from("<HH", data, 54)
        segments = [struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize) for i in range(phnum)]
        interpreter = None
        dynamic: list[tuple[int, int]] = []
        for kind, _, offset, _, _, filesz, _, _ in segments:
            if kind == _PT_INTERP:
                interpreter = data[offset : offset + filesz].rstrip(b"\0").decode()
            elif kind == _PT_DYNAMIC:
                dynamic = [struct.unpack_from("<qQ", data, offset + i * 16) for i in range(filesz // 16)]
        if not dynamic:
            return Elf(interpreter, (), (), ())
        strtab_address = next(value for tag, value in dynamic if tag == _DT_STRTAB)
        # DT_STRTAB is a virtual address: map it to a file offset via its PT_LOAD.
        strtab = next(
            offset + strtab_address - vaddr
            for kind, _, offset, vaddr, _, filesz, _, _ in segments
            if kind == 1 and vaddr <= strtab_address < vaddr + filesz
        )
    except (struct.error, StopIteration) as error:
        raise ElfError(f"{path}: malformed ELF ({error})") from error

    def string(offset: int) -> str:
        end = data.index(b"\0", strtab + offset)
        return data[strtab + offset : end].decode()

    def strings(tag: int) -> tuple[str, ...]:
        return tuple(string(value) for t, value in dynamic if t == tag)

    def search_path(tag: int) -> tuple[str, ...]:
        return tuple(entry for value in strings(tag) for entry in value.split(":") if entry)

    return Elf(interpreter, strings(_DT_NEEDED), search_path(_DT_RPATH), search_path(_DT_RUNPATH))


@dataclasses.dataclass(frozen=True)
class Leak:
    """A library an executable needs that the repository does not provide."""

    executable: str
    library: str
    needed_by: str
    why: str

    def __str__(self) -> str:
        return f"{self.executable}: {self.library} (needed by {self.needed_by}) {self.why}"


def _expand(entry: str, origin: pathlib.Path) -> str:
    return entry.replace("${ORIGIN}", str(origin)).replace("$ORIGIN", str(origin))


def _executables(directory: pathlib.Path) -> Iterator[pathlib.Path]:
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.stat().st_mode & 0o111:
            elf = read_elf(path)
            if elf is not None and elf.interpreter is not None:
                yield path


def _inside(path: pathlib.Path, repository: pathlib.Path) -> bool:
    return path.resolve().is_relative_to(repository.resolve())


def check_executable(
    executable: pathlib.Path, repository: pathlib.Path, library_path: Iterable[pathlib.Path]
) -> list[Leak]:
    """The libraries of executable's whole closure that would not resolve inside repository."""
    library_dirs = list(library_path)
    name = str(executable.relative_to(repository))
    leaks: list[Leak] = []
    seen: set[str] = set()
    pending = [executable]
    while pending:
        current = pending.pop()
        elf = read_elf(current)
        if elf is None:
            leaks.append(Leak(name, current.name, name, "is not an x86_64 ELF file"))
            continue
        origin = current.parent
        # ld.so: DT_RPATH only when there is no DT_RUNPATH, then LD_LIBRARY_PATH, then DT_RUNPATH.
        search = [
            *(() if elf.runpath else (_expand(e, origin) for e in elf.rpath)),
            *(str(d) for d in library_dirs),
            *(_expand(e, origin) for e in elf.runpath),
        ]
        for library in elf.needed:
            if library in seen:
                continue
            seen.add(library)
            if library in GLIBC_LIBRARIES:
                continue
            found = next((pathlib.Path(d) / library for d in search if (pathlib.Path(d) / library).exists()), None)
            if found is None:
                leaks.append(Leak(name, library, current.name, "is not in the repository: it would come from the host"))
            elif not _inside(found, repository):
                leaks.append(Leak(name, library, current.name, f"resolves outside the repository: {found}"))
            else:
                pending.append(found.resolve())
    return leaks


def check_repository(repository: pathlib.Path, description: dict[str, Any]) -> tuple[list[str], list[Leak]]:
    """(the executables checked, the leaks found) for a repository and its closure.json contents."""
    library_path = [repository / d for d in description["library_path"]]
    executables: list[pathlib.Path] = []
    for root in description["roots"]:
        path = repository / root
        if path.is_dir():
            executables.extend(_executables(path))
        elif path.is_file():
            executables.append(path)
        else:
            raise FileNotFoundError(f"{repository}: root {root} does not exist")
    leaks: list[Leak] = []
    for executable in executables:
        leaks.extend(check_executable(executable, repository, library_path))
    return [str(e.relative_to(repository)) for e in executables], leaks


def load_manifest(manifest: pathlib.Path) -> tuple[pathlib.Path, dict[str, Any]]:
    """(the repository's directory, the manifest's contents) for a closure.json in runfiles."""
    description: dict[str, Any] = json.loads(manifest.read_text())
    return manifest.resolve().parent, description
