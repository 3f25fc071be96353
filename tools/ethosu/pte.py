"""The Ethos-U delegates of a .pte, exactly as ExecuTorch's runtime receives them.

Read straight from the flatbuffer (schema: executorch/schema/program.fbs in the
pinned wheel) with the `flatbuffers` package: importing ExecuTorch's own
deserializer imports torch, which costs each caller 10-20 s.
"""

import struct
from dataclasses import dataclass

from flatbuffers import table as fb_table

ETHOS_U_BACKEND = "EthosUBackend"

# Field slots (declaration order) of the program.fbs tables this reads.
_PROGRAM_EXECUTION_PLAN = 1
_PROGRAM_BACKEND_DELEGATE_DATA = 3
_PROGRAM_SEGMENTS = 4
_PLAN_DELEGATES = 7
_DELEGATE_ID = 0
_DELEGATE_PROCESSED = 1
_DELEGATE_COMPILE_SPECS = 2
_REFERENCE_LOCATION = 0
_REFERENCE_INDEX = 1
_INLINE_DATA = 0
_SEGMENT_OFFSET = 0
_SEGMENT_SIZE = 1
_SPEC_KEY = 0
_SPEC_VALUE = 1
_LOCATION_SEGMENT = 1
# The extended header after the root offset and file identifier: magic, length,
# program size, segment base offset (executorch/exir/_serialize/_program.py).
_EXTENDED_HEADER = struct.Struct("<4sIQQ")


@dataclass(frozen=True)
class Delegate:
    """One EthosUBackend delegate: its processed bytes and its compile specs."""

    blob: bytes
    compile_specs: dict[str, bytes]

    @property
    def vela_flags(self) -> list[str]:
        """The Vela command-line flags ExecuTorch compiled this partition with."""
        if "compile_flags" not in self.compile_specs:
            raise ValueError("the delegate has no compile_flags compile spec")
        return self.compile_specs["compile_flags"].decode().split()


class _Table:
    def __init__(self, buffer: bytes, position: int) -> None:
        self._table = fb_table.Table(buffer, position)
        self._buffer = buffer

    def _offset(self, slot: int) -> int:
        return int(self._table.Offset(4 + 2 * slot))

    def table(self, slot: int) -> "_Table | None":
        offset = self._offset(slot)
        return None if offset == 0 else _Table(self._buffer, self._table.Indirect(self._table.Pos + offset))

    def tables(self, slot: int) -> list["_Table"]:
        offset = self._offset(slot)
        if offset == 0:
            return []
        start = self._table.Vector(offset)
        return [_Table(self._buffer, self._table.Indirect(start + 4 * i)) for i in range(self._table.VectorLen(offset))]

    def data(self, slot: int) -> bytes:
        offset = self._offset(slot)
        if offset == 0:
            return b""
        start, length = self._table.Vector(offset), self._table.VectorLen(offset)
        if start + length > len(self._buffer):
            raise ValueError(f"a vector of {length} bytes at {start} ends after the flatbuffer")
        return bytes(self._buffer[start:start + length])

    def string(self, slot: int) -> str:
        offset = self._offset(slot)
        return "" if offset == 0 else bytes(self._table.String(self._table.Pos + offset)).decode()

    def scalar(self, slot: int, fmt: str) -> int:
        offset = self._offset(slot)
        if offset == 0:
            return 0
        (value,) = struct.unpack_from(fmt, self._buffer, self._table.Pos + offset)
        return int(value)


def _delegates(program: bytes) -> list[Delegate]:
    (root,) = struct.unpack_from("<I", program, 0)
    if program[4:8] != b"ET12":
        raise ValueError(f"not an ExecuTorch program: file identifier {program[4:8]!r}, expected b'ET12'")
    magic, _, program_size, segment_base = _EXTENDED_HEADER.unpack_from(program, 8)
    if magic != b"eh00":
        program_size, segment_base = len(program), 0
    top = _Table(program[:program_size], root)
    inline = top.tables(_PROGRAM_BACKEND_DELEGATE_DATA)
    segments = top.tables(_PROGRAM_SEGMENTS)
    delegates = []
    for plan in top.tables(_PROGRAM_EXECUTION_PLAN):
        for delegate in plan.tables(_PLAN_DELEGATES):
            if delegate.string(_DELEGATE_ID) != ETHOS_U_BACKEND:
                continue
            reference = delegate.table(_DELEGATE_PROCESSED)
            if reference is None:
                raise ValueError("an EthosUBackend delegate without processed data")
            index = reference.scalar(_REFERENCE_INDEX, "<I")
            if reference.scalar(_REFERENCE_LOCATION, "<b") == _LOCATION_SEGMENT:
                segment = segments[index]
                start = segment_base + segment.scalar(_SEGMENT_OFFSET, "<Q")
                end = start + segment.scalar(_SEGMENT_SIZE, "<Q")
                if segment_base == 0 or end > len(program):
                    raise ValueError(f"delegate segment {index} ({start}..{end}) is outside the file")
                blob = program[start:end]
            else:
                blob = inline[index].data(_INLINE_DATA)
            specs = delegate.tables(_DELEGATE_COMPILE_SPECS)
            delegates.append(Delegate(bytes(blob), {spec.string(_SPEC_KEY): spec.data(_SPEC_VALUE) for spec in specs}))
    return delegates


def ethos_u_delegates(program: bytes) -> list[Delegate]:
    """Every EthosUBackend delegate of a .pte, in execution-plan order; ValueError if it is not one."""
    try:
        return _delegates(program)
    except (struct.error, IndexError, UnicodeDecodeError) as error:
        raise ValueError(f"malformed ExecuTorch program: {error}") from error


def delegate_blobs(program: bytes) -> list[bytes]:
    """Every EthosUBackend delegate's processed bytes, in execution-plan order."""
    return [delegate.blob for delegate in ethos_u_delegates(program)]
