"""Emits the C++ register tables of the Ethos-U55 and Ethos-U85 command streams.

Ethos-U55: the source of truth is `ethosu/vela/ethos_u55_regs/ethos_u55_regs.py`
in the ethos-u-vela wheel: its `cmd0`/`cmd1` enums give every opcode, the ctypes
`_fields_` of each `npu_*_t` structure give every field's bit layout, and the
small enums (precisions, modes) give the values the fields take. Generating the
header at build time keeps the C++ decoder in step with the Vela that compiled
the programs; nothing is copied by hand.

Ethos-U85: the wheel has its table only compiled into the regor extension, so
`ethos_u85_regs.txt` (this directory) carries it, written from Vela's public
source (its header names the file and version); this renders it in the same
C++ form, in namespace `ethos_u::regs85`, reusing the U55 header's types.
"""

import ctypes
import enum
import pathlib
from collections.abc import Iterable
from types import ModuleType

from absl import app, flags
from ethosu.vela.ethos_u55_regs import ethos_u55_regs

from runtime.ethos_u.u85_table import Command, Field, RegisterSet, identifier, parse_table

_OUTPUT = flags.DEFINE_string("output", None, "Path of the C++ header to write.", required=True)
_U85_TABLE = flags.DEFINE_string(
    "u85_table", None, "Render the Ethos-U85 table from this file (ethos_u85_regs.txt) instead of the U55 one."
)

# Enums whose values appear in command fields (the register-address enums such
# as BASE or PMU describe the APB register map, which a command stream never
# touches).
_FIELD_ENUMS = (
    "acc_format",
    "activation",
    "clip_range",
    "data_format",
    "elementwise_mode",
    "ifm_precision",
    "ifm_scale_mode",
    "ofm_precision",
    "pooling_mode",
    "resampling_mode",
    "rounding",
    "stride_mode",
)

# Field names that are bookkeeping of the word format, not register content.
_FORMAT_FIELDS = ("cmd_code", "must_be_zero", "must_be_zero0", "payload_size")


def _fields(structure: type[ctypes.Structure]) -> list[Field]:
    """(name, bit offset, width) of each field, the offset counted from bit 0 of the first word."""
    result = []
    offset = 0
    for name, _ctype, width in structure._fields_:  # type: ignore[misc]
        result.append((name, offset, width))
        offset += width
    if offset not in (32, 64):  # a command of one or two words, or a register
        raise ValueError(f"{structure.__name__}: fields cover {offset} bits, expected 32 or 64")
    return result


def _vela_commands(regs: ModuleType, kind: str, opcodes: Iterable[enum.Enum]) -> list[Command]:
    commands = []
    for opcode in opcodes:
        structure = getattr(regs, opcode.name.lower() + "_t", None)
        if structure is None:
            raise ValueError(f"{kind}.{opcode.name} has no structure {opcode.name.lower()}_t in ethos_u55_regs")
        fields = [f for f in _fields(structure) if f[0] not in _FORMAT_FIELDS]
        commands.append(Command(opcode.name, int(opcode.value), fields))
    return commands


def from_vela_u55(regs: ModuleType) -> RegisterSet:
    """The U55 register set of the pinned Vela's ethos_u55_regs.py."""
    return RegisterSet(
        arch_version=str(regs.ARCH_VER),
        cmd0=_vela_commands(regs, "cmd0", regs.cmd0),
        cmd1=_vela_commands(regs, "cmd1", regs.cmd1),
        enums=[(name, [(m.name, int(m.value)) for m in getattr(regs, name)]) for name in _FIELD_ENUMS],
        registers=[(name, _fields(getattr(regs, name)._bitfield)) for name in ("config_r", "id_r")],
    )


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.lower().split("_"))


def _command_lines(commands: list[Command], kind: str) -> tuple[list[str], list[str]]:
    """Field namespaces and table rows for one opcode family (cmd0 or cmd1)."""
    namespaces: list[str] = []
    rows: list[str] = []
    payload = "true" if kind == "cmd1" else "false"
    for command in commands:
        name = identifier(command.name)
        namespaces.append(f"namespace {name.lower()} {{")
        for field, offset, width in command.fields:
            namespaces.append(f"inline constexpr BitField {identifier(field)}{{{offset}, {width}}};")
        namespaces.append(f"}}  // namespace {name.lower()}")
        field_rows = ", ".join(f'{{"{field}", {offset}, {width}}}' for field, offset, width in command.fields)
        namespaces.append(f"inline constexpr NamedField k{_camel(name)}Fields[] = {{{field_rows}}};")
        rows.append(
            f'    {{0x{command.code:03x}, {payload}, "{name}", k{_camel(name)}Fields, '
            f"sizeof(k{_camel(name)}Fields) / sizeof(NamedField)}},"
        )
    return namespaces, rows


def _enum_lines(enums: list[tuple[str, list[tuple[str, int]]]]) -> list[str]:
    lines = []
    for enum_name, members in enums:
        lines.append(f"enum class {_camel(enum_name)} : uint32_t {{")
        lines.extend(f"    {identifier(name)} = {value}," for name, value in members)
        lines.append("};")
        rows = ", ".join(f'{{{value}, "{name}"}}' for name, value in members)
        lines.append(f"inline constexpr EnumName k{_camel(enum_name)}Names[] = {{{rows}}};")
    return lines


def _register_lines(registers: list[tuple[str, list[Field]]]) -> list[str]:
    """Bit fields of APB registers that the driver payload carries (its config and ID words)."""
    lines = []
    for name, fields in registers:
        lines.append(f"namespace {identifier(name)} {{")
        for field, offset, width in fields:
            lines.append(f"inline constexpr BitField {identifier(field)}{{{offset}, {width}}};")
        lines.append(f"}}  // namespace {name}")
    return lines


_TYPES = [
    "// A field of a command: bit offset from bit 0 of the command's first word",
    "// (cmd1 payloads occupy bits 32..63) and width in bits.",
    "struct BitField {",
    "    unsigned offset;",
    "    unsigned width;",
    "    constexpr uint32_t Get(uint64_t command) const {",
    "        return static_cast<uint32_t>((command >> offset) & ((uint64_t{1} << width) - 1));",
    "    }",
    "};",
    "",
    "struct NamedField {",
    "    const char* name;",
    "    unsigned offset;",
    "    unsigned width;",
    "};",
    "",
    "struct CommandInfo {",
    "    uint32_t code;",
    "    bool has_payload;  // cmd1: a 32-bit payload word follows",
    "    const char* name;",
    "    const NamedField* fields;",
    "    size_t field_count;",
    "};",
    "",
    "struct EnumName {",
    "    uint32_t value;",
    "    const char* name;",
    "};",
]


def render(registers: RegisterSet, u85: bool = False) -> str:
    cmd0_ns, cmd0_rows = _command_lines(registers.cmd0, "cmd0")
    cmd1_ns, cmd1_rows = _command_lines(registers.cmd1, "cmd1")
    opcode_enums = []
    for kind, commands in (("cmd0", registers.cmd0), ("cmd1", registers.cmd1)):
        opcode_enums.append(f"enum class {kind.capitalize()} : uint32_t {{")
        opcode_enums.extend(f"    {identifier(c.name)} = 0x{c.code:03x}," for c in commands)
        opcode_enums.append("};")
    if u85:
        head = [
            "// Generated by //runtime/ethos_u:gen_regs from runtime/ethos_u/ethos_u85_regs.txt",
            f"// (Ethos-U85 architecture {registers.arch_version}). Do not edit.",
            "#pragma once",
            "",
            "#include <cstddef>",
            "#include <cstdint>",
            "",
            '#include "runtime/ethos_u/ethos_u55_regs.h"',
            "",
            "namespace ethos_u::regs85 {",
            "",
            f'inline constexpr const char kArchVersion[] = "{registers.arch_version}";',
            "",
            "using regs::BitField;",
            "using regs::CommandInfo;",
            "using regs::EnumName;",
            "using regs::NamedField;",
        ]
        namespace = "ethos_u::regs85"
    else:
        head = [
            "// Generated by //runtime/ethos_u:gen_regs from ethos-u-vela's",
            f"// ethosu/vela/ethos_u55_regs/ethos_u55_regs.py (ARCH_VER {registers.arch_version}). Do not edit.",
            "#pragma once",
            "",
            "#include <cstddef>",
            "#include <cstdint>",
            "",
            "namespace ethos_u::regs {",
            "",
            f'inline constexpr const char kArchVersion[] = "{registers.arch_version}";',
            "",
            *_TYPES,
        ]
        namespace = "ethos_u::regs"
    lines = [
        *head,
        "",
        *opcode_enums,
        "",
        *_enum_lines(registers.enums),
        "",
        *_register_lines(registers.registers),
        "",
        *cmd0_ns,
        *cmd1_ns,
        "",
        "inline constexpr CommandInfo kCmd0Commands[] = {",
        *cmd0_rows,
        "};",
        "inline constexpr CommandInfo kCmd1Commands[] = {",
        *cmd1_rows,
        "};",
        "",
        f"}}  // namespace {namespace}",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    del argv
    if _U85_TABLE.value is None:
        text = render(from_vela_u55(ethos_u55_regs))
    else:
        text = render(parse_table(pathlib.Path(_U85_TABLE.value).read_text(encoding="utf-8")), u85=True)
    with open(_OUTPUT.value, "w", encoding="utf-8") as out:
        out.write(text)


if __name__ == "__main__":
    app.run(main)
