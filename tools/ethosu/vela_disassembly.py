"""Vela's own disassembly of a compiled program, and its comparison with the model's.

Vela prints the register command stream it generated with
--verbose-register-command-stream. ExecuTorch runs Vela on the TOSA graph of
each delegated partition with the flags it records in the delegate's compile
specs; re-running Vela on the same TOSA bytes with the same flags plus that
option gives the disassembly of the exact stream inside the .pte (Vela is
deterministic; about a second for a small graph). Vela runs from this
interpreter with a fixed argv and no shell.
"""

import pathlib
import re
import subprocess  # nosec B404
import sys
import tempfile
from collections.abc import Mapping

# "0x000000: 3d272679 000b 4025 - NPU_SET_OPA_SCALE   11, shift = 11, scale = 1025975929"
_LINE = re.compile(r"^(0x[0-9a-f]{6}: (?:[0-9a-f]{8}| {8}) [0-9a-f]{4} [0-9a-f]{4} - \S+\s+\d+)(.*)$")
_FIELD = re.compile(r"^\s*(\w+) = (\S+)$")


def run_vela(tosa: pathlib.Path, flags: list[str]) -> str:
    """Vela's console output for the TOSA graph with --verbose-register-command-stream."""
    with tempfile.TemporaryDirectory() as output:
        result = subprocess.run(  # nosec B603
            [sys.executable, "-m", "ethosu.vela", *flags, f"--output-dir={output}",
             "--verbose-register-command-stream", str(tosa)],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"vela failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    return result.stdout


def command_lines(text: str) -> list[tuple[str, dict[str, str]]]:
    """(the columns up to the parameter, {field: value}) for each command line of a disassembly."""
    commands = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        fields = {}
        for item in match.group(2).split(",")[1:]:
            field = _FIELD.match(item)
            if field is not None:
                fields[field.group(1)] = field.group(2)
        commands.append((match.group(1), fields))
    return commands


def _number(text: str) -> int | None:
    try:
        return int(text, 0)
    except ValueError:
        return None  # an enum name: Vela's C++ core names values with its own tables


def _as_vela_prints(command: str, field: str, value: int) -> int:
    """A field value as Vela's disassembler prints it.

    The U85 table's printer (npu_set_op_scalar_t::disassemble in Vela's
    ethos_u85_interface.hpp) turns an NPU_SET_OP_SCALAR scalar above INT32_MAX
    into `scalar - INT_MIN + INT_MAX` in 32-bit arithmetic: one less than the
    value; it prints the 12-bit RESIZE_X/Y_OFFSET as signed (4095 is -1). The
    command words, compared in full, still fix the bits.
    """
    if field == "scalar" and "NPU_SET_OP_SCALAR" in command and value > 0x7FFFFFFF:
        return value - 1
    if field in ("resize_x_offset", "resize_y_offset") and value >= 0x800:
        return value - 0x1000
    return value


def compare(ours: str, vela: str, enum_values: Mapping[str, int] | None = None) -> list[str]:
    """Differences between the model's disassembly and Vela's, one line each (empty: equal).

    Vela's C++ core prints some field values as enum names; with `enum_values`
    (name: value, e.g. the U85 table's RegisterSet.vela_enum_values()) those
    are compared too, and a name it lacks is a difference; without, skipped.

    Every command must agree in offset, both words, opcode name and parameter,
    which fixes every bit of the stream; fields both sides name alike (Vela's
    C++ core names some differently) must agree in value.
    """
    mine, theirs = command_lines(ours), command_lines(vela)
    problems = []
    if len(mine) != len(theirs):
        problems.append(f"{len(mine)} commands decoded, Vela printed {len(theirs)}")
    for index, ((my_columns, my_fields), (their_columns, their_fields)) in enumerate(zip(mine, theirs, strict=False)):
        if my_columns.split() != their_columns.split():
            problems.append(f"command {index}: model '{my_columns}' != Vela '{their_columns}'")
            continue
        for name, value in their_fields.items():
            expected = _number(value)
            if expected is None and enum_values is not None and name in my_fields:
                if value not in enum_values:
                    problems.append(f"command {index} field {name}: Vela's value {value} is not in the enum table")
                    continue
                expected = enum_values[value]
            if name not in my_fields or expected is None:
                continue
            if _as_vela_prints(my_columns, name, int(my_fields[name])) != expected:
                problems.append(f"command {index} field {name}: model {my_fields[name]} != Vela {value}")
    return problems
