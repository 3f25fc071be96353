"""The driver payload Vela writes as a delegate's cmd_data: its format and the region commands in it.

COP1 (Vela's ethosu/vela/driver_actions.py, the default): the fourcc, a Config
tag with the config and ID words, NOPs up to a 16-byte boundary, a CmdStream
tag holding the stream's length in words, then the register command stream.

COP2 (Vela's C++ core with --cop-format=COP2, which direct drive implies): the
pinned Vela documents no layout, so this reads only what its output shows and
checks every length: the fourcc, a version, the byte count after this 16-byte
header and a reserved word; then one section <type 1, byte count> holding a
metadata byte count, the metadata ("VEUM": the config and ID words, ...) and
the register command stream. //tests/options checks the commands decoded from
it against Vela's own disassembly of the same stream.

Register commands (Vela's register_command_stream_generator.CmdMode): a 32-bit
word whose low 16 bits are the opcode (bits 0-9) and the mode (bit 14: one
32-bit payload word follows), the high 16 bits the parameter. The region
commands decoded here have the same opcodes on Ethos-U55 and Ethos-U85 (Vela's
U85 disassembly names them so); the rest of the U85 register set is not decoded.
"""

from __future__ import annotations

import dataclasses
import struct

# cmd0 opcodes of the region commands (ethosu/vela/ethos_u55_regs: cmd0.NPU_SET_*_REGION).
REGION_OPCODES = {
    0x10F: "NPU_SET_IFM_REGION",
    0x11F: "NPU_SET_OFM_REGION",
    0x128: "NPU_SET_WEIGHT_REGION",
    0x129: "NPU_SET_SCALE_REGION",
    0x130: "NPU_SET_DMA0_SRC_REGION",
    0x131: "NPU_SET_DMA0_DST_REGION",
    0x18F: "NPU_SET_IFM2_REGION",
}
_OPCODE_MASK = 0x03FF
_PAYLOAD32 = 0x4000
_COP1_CMD_STREAM = 0x02  # driver_actions.DACommands.CmdStream
_COP1_NOP = 0x05
_COP1_CONFIG = 0x01


@dataclasses.dataclass(frozen=True)
class Command:
    offset: int  # in bytes, from the start of the command stream (as Vela's disassembly counts)
    opcode: int
    param: int
    payload: int | None


@dataclasses.dataclass(frozen=True)
class DriverPayload:
    cop_format: str  # "COP1" or "COP2"
    stream_offset: int  # where the command stream starts in cmd_data
    commands: tuple[Command, ...]

    def regions(self) -> list[tuple[int, str, int]]:
        """(offset, command name, region) of every region command, in stream order."""
        return [(c.offset, REGION_OPCODES[c.opcode], c.param) for c in self.commands if c.opcode in REGION_OPCODES]


def _words(data: bytes, what: str) -> tuple[int, ...]:
    if len(data) % 4:
        raise ValueError(f"{what}: {len(data)} bytes is not a whole number of 32-bit words")
    return struct.unpack(f"<{len(data) // 4}I", data)


def decode_commands(stream: bytes) -> tuple[Command, ...]:
    """The register commands of a command stream."""
    words = _words(stream, "command stream")
    commands = []
    index = 0
    while index < len(words):
        word = words[index]
        has_payload = bool(word & _PAYLOAD32)
        if has_payload and index + 1 >= len(words):
            raise ValueError(f"command at byte {4 * index} lacks its payload word")
        payload = words[index + 1] if has_payload else None
        commands.append(Command(4 * index, word & _OPCODE_MASK, word >> 16, payload))
        index += 2 if has_payload else 1
    return tuple(commands)


def _cop1_stream_start(data: bytes) -> int:
    words = _words(data, "COP1 payload")
    index = 1
    while index < len(words):
        tag = words[index] & 0xFF
        if tag == _COP1_CONFIG:
            index += 3  # the tag, the config word, the ID word
        elif tag == _COP1_NOP:
            index += 1
        elif tag == _COP1_CMD_STREAM:
            length = (words[index] >> 16) | ((words[index] >> 8 & 0xFF) << 16)
            start = 4 * (index + 1)
            if len(data) - start != 4 * length:
                raise ValueError(f"COP1: the command stream declares {length} words, {(len(data) - start) // 4} follow")
            return start
        else:
            raise ValueError(f"COP1: unknown driver action {tag:#x} at byte {4 * index}")
    raise ValueError("COP1: no command stream")


def _cop2_stream_start(data: bytes) -> int:
    if len(data) < 28:
        raise ValueError(f"COP2: {len(data)} bytes is shorter than its headers")
    _, _, size, _ = struct.unpack_from("<4sIII", data)
    if size != len(data) - 16:
        raise ValueError(f"COP2: the header declares {size} bytes after it, {len(data) - 16} follow")
    kind, section_size, metadata_size = struct.unpack_from("<III", data, 16)
    start: int = 28 + metadata_size
    if kind != 1 or section_size != len(data) - 24:
        raise ValueError(
            f"COP2: expected one command-stream section (type 1, {len(data) - 24} bytes), got type"
            f" {kind} of {section_size} bytes"
        )
    if start > len(data):
        raise ValueError(f"COP2: metadata of {metadata_size} bytes runs past the end")
    return start


def parse(cmd_data: bytes) -> DriverPayload:
    """A delegate's cmd_data: its format and its register commands. ValueError names what does not fit."""
    fourcc = cmd_data[:4].decode("ascii", errors="replace")
    streams = {"COP1": _cop1_stream_start, "COP2": _cop2_stream_start}
    if fourcc in streams:
        start = streams[fourcc](cmd_data)
        return DriverPayload(fourcc, start, decode_commands(cmd_data[start:]))
    raise ValueError(f"cmd_data starts with {cmd_data[:4]!r}, not COP1 or COP2")
