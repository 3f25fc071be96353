"""The register table format of ethos_u85_regs.txt: parsing, and the enum names Vela prints.

One line per cmd0/cmd1 opcode (its fields as name:bit offset:width[:enum]), per
field enum (MEMBER=value ...), per driver-payload register, and the
architecture version; the file's header comment gives the format and source.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

Field = tuple[str, int, int]  # name, bit offset from bit 0 of the first word, width


@dataclass(frozen=True)
class Command:
    name: str
    code: int
    fields: list[Field]


@dataclass(frozen=True)
class RegisterSet:
    """Everything a header holds: opcodes with their fields, field enums, config/ID register fields."""

    arch_version: str
    cmd0: list[Command]
    cmd1: list[Command]
    enums: list[tuple[str, list[tuple[str, int]]]]
    registers: list[tuple[str, list[Field]]]

    def vela_enum_values(self) -> dict[str, int]:
        """Each enum member as Vela's U85 disassembly names it (round_mode_ofm NATURAL: ROUND_MODE_OFM_NATURAL)."""
        return {f"{name.upper()}_{member}": value for name, members in self.enums for member, value in members}


def identifier(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"not a C++ identifier: {name!r}")
    return name


def _table_fields(items: Sequence[str], where: str, limit: int) -> list[Field]:
    fields = []
    for item in items:
        parts = item.split(":")
        if len(parts) not in (3, 4) or not parts[1].isdigit() or not parts[2].isdigit():
            raise ValueError(f"{where}: field {item!r} is not name:offset:width[:enum]")
        offset, width = int(parts[1]), int(parts[2])
        if width == 0 or offset + width > limit:
            raise ValueError(f"{where}: field {item!r} does not fit in {limit} bits")
        fields.append((identifier(parts[0]), offset, width))
    return fields


def parse_table(text: str) -> RegisterSet:
    """The register set of an ethos_u85_regs.txt; ValueError naming the line of the first problem."""
    arch_version = ""
    commands: dict[str, list[Command]] = {"cmd0": [], "cmd1": []}
    enums: list[tuple[str, list[tuple[str, int]]]] = []
    registers: list[tuple[str, list[Field]]] = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        where = f"line {number}"
        if words[0] in commands and len(words) >= 3 and re.fullmatch(r"0x[0-9a-f]+", words[1]):
            fields = _table_fields(words[3:], where, 64 if words[0] == "cmd1" else 32)
            commands[words[0]].append(Command(identifier(words[2]), int(words[1], 16), fields))
        elif words[0] == "enum" and len(words) >= 3:
            members = []
            for member in words[2:]:
                name, _, value = member.partition("=")
                if not value.isdigit():
                    raise ValueError(f"{where}: enum member {member!r} is not NAME=value")
                members.append((identifier(name), int(value)))
            enums.append((identifier(words[1]), members))
        elif words[0] == "register" and len(words) >= 3:
            registers.append((identifier(words[1]), _table_fields(words[2:], where, 32)))
        elif words[0] == "arch_version" and len(words) == 2:
            arch_version = words[1]
        else:
            raise ValueError(f"{where}: not a cmd0/cmd1/enum/register/arch_version line: {line!r}")
    if not arch_version or not commands["cmd0"] or not commands["cmd1"]:
        raise ValueError("the table needs an arch_version line and cmd0 and cmd1 commands")
    return RegisterSet(arch_version, commands["cmd0"], commands["cmd1"], enums, registers)
