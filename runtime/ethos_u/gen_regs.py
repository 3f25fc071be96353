"""Emits the C++ register table of the Ethos-U55 command stream from the pinned Vela package.

The source of truth is `ethosu/vela/ethos_u55_regs/ethos_u55_regs.py` in the
ethos-u-vela wheel: its `cmd0`/`cmd1` enums give every opcode, the ctypes
`_fields_` of each `npu_*_t` structure give every field's bit layout, and the
small enums (precisions, modes) give the values the fields take. Generating the
header at build time keeps the C++ decoder in step with the Vela that compiled
the programs; nothing is copied by hand.
"""

import ctypes
import enum
import re
from collections.abc import Iterable, Sequence
from types import ModuleType

from absl import app, flags
from ethosu.vela.ethos_u55_regs import ethos_u55_regs

_OUTPUT = flags.DEFINE_string("output", None, "Path of the C++ header to write.", required=True)

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


def _fields(structure: type[ctypes.Structure]) -> list[tuple[str, int, int]]:
    """(name, bit offset, width) of each field, the offset counted from bit 0 of the first word."""
    result = []
    offset = 0
    for name, _ctype, width in structure._fields_:  # type: ignore[misc]
        result.append((name, offset, width))
        offset += width
    if offset not in (32, 64):  # a command of one or two words, or a register
        raise ValueError(f"{structure.__name__}: fields cover {offset} bits, expected 32 or 64")
    return result


def _identifier(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"not a C++ identifier: {name!r}")
    return name


def _command_lines(regs: ModuleType, kind: str, opcodes: Iterable[enum.Enum]) -> tuple[list[str], list[str]]:
    """Field namespaces and table rows for one opcode family (cmd0 or cmd1)."""
    namespaces: list[str] = []
    rows: list[str] = []
    payload = "true" if kind == "cmd1" else "false"
    for opcode in opcodes:
        name = _identifier(opcode.name)
        structure = getattr(regs, name.lower() + "_t", None)
        if structure is None:
            raise ValueError(f"{kind}.{name} has no structure {name.lower()}_t in ethos_u55_regs")
        fields = [f for f in _fields(structure) if f[0] not in _FORMAT_FIELDS]
        namespaces.append(f"namespace {name.lower()} {{")
        for field, offset, width in fields:
            namespaces.append(f"inline constexpr BitField {_identifier(field)}{{{offset}, {width}}};")
        namespaces.append(f"}}  // namespace {name.lower()}")
        field_rows = ", ".join(f'{{"{field}", {offset}, {width}}}' for field, offset, width in fields)
        namespaces.append(f"inline constexpr NamedField k{_camel(name)}Fields[] = {{{field_rows}}};")
        rows.append(
            f'    {{0x{opcode.value:03x}, {payload}, "{name}", k{_camel(name)}Fields, '
            f"sizeof(k{_camel(name)}Fields) / sizeof(NamedField)}},"
        )
    return namespaces, rows


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.lower().split("_"))


def _enum_lines(regs: ModuleType, names: Sequence[str]) -> list[str]:
    lines = []
    for enum_name in names:
        members = list(getattr(regs, enum_name))
        lines.append(f"enum class {_camel(enum_name)} : uint32_t {{")
        lines.extend(f"    {_identifier(m.name)} = {int(m.value)}," for m in members)
        lines.append("};")
        rows = ", ".join(f'{{{int(m.value)}, "{m.name}"}}' for m in members)
        lines.append(f"inline constexpr EnumName k{_camel(enum_name)}Names[] = {{{rows}}};")
    return lines


def _register_lines(regs: ModuleType, names: Sequence[str]) -> list[str]:
    """Bit fields of APB registers that the driver payload carries (its config and ID words)."""
    lines = []
    for name in names:
        lines.append(f"namespace {_identifier(name)} {{")
        for field, offset, width in _fields(getattr(regs, name)._bitfield):
            lines.append(f"inline constexpr BitField {_identifier(field)}{{{offset}, {width}}};")
        lines.append(f"}}  // namespace {name}")
    return lines


def render(regs: ModuleType) -> str:
    cmd0_ns, cmd0_rows = _command_lines(regs, "cmd0", regs.cmd0)
    cmd1_ns, cmd1_rows = _command_lines(regs, "cmd1", regs.cmd1)
    opcode_enums = []
    for kind in ("cmd0", "cmd1"):
        opcode_enums.append(f"enum class {kind.capitalize()} : uint32_t {{")
        opcode_enums.extend(f"    {_identifier(m.name)} = 0x{m.value:03x}," for m in getattr(regs, kind))
        opcode_enums.append("};")
    lines = [
        "// Generated by //runtime/ethos_u:gen_regs from ethos-u-vela's",
        f"// ethosu/vela/ethos_u55_regs/ethos_u55_regs.py (ARCH_VER {regs.ARCH_VER}). Do not edit.",
        "#pragma once",
        "",
        "#include <cstddef>",
        "#include <cstdint>",
        "",
        "namespace ethos_u::regs {",
        "",
        f'inline constexpr const char kArchVersion[] = "{regs.ARCH_VER}";',
        "",
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
        "",
        *opcode_enums,
        "",
        *_enum_lines(regs, _FIELD_ENUMS),
        "",
        *_register_lines(regs, ("config_r", "id_r")),
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
        "}  // namespace ethos_u::regs",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    del argv
    with open(_OUTPUT.value, "w", encoding="utf-8") as out:
        out.write(render(ethos_u55_regs))


if __name__ == "__main__":
    app.run(main)
