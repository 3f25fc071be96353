"""Splits a bundled program (.bpte) into raw files executor_runner can take.

executor_runner runs a .bpte's test cases itself; this tool reads it with
executorch's Python deserializer instead (an independent reader) and writes
the program and the test cases as files, to inspect them or to run one test
case with other flags. Into --output_dir:

  program.pte
  suite_<s>/case_<k>/input_<i>.bin            raw tensor bytes (or 8-byte int64 /
  suite_<s>/case_<k>/expected_output_<i>.bin  float64, 1-byte bool scalars)
  manifest.txt   one line per test case: the runner's flags, shell-quoted:
                 --method=<method> --input_files=... --expected_outputs=...

Paths are built from indices only, never from the file's content: test suite
<s> is the s-th of the bundle, whatever its method name (a name such as
"../../x" or "/etc/x" would otherwise write outside --output_dir).

Then: executor_runner --model_path=program.pte <a manifest line>
"""

from __future__ import annotations

import pathlib
import shlex
import struct

from absl import app, flags
from executorch.devtools.bundled_program.schema import (
    bundled_program_schema as schema,
)
from executorch.devtools.bundled_program.serialize import (
    deserialize_from_flatbuffer_to_bundled_program,
)

_BPTE = flags.DEFINE_string("bpte", None, "The bundled program (required).")
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", None, "Where to write the files (required)."
)


def value_bytes(value: schema.Value) -> bytes:
    """The raw bytes executor_runner reads or writes for one EValue."""
    val = value.val
    if isinstance(val, schema.Tensor):
        return bytes(val.data)
    if isinstance(val, schema.Bool):
        return struct.pack("<?", val.bool_val)
    if isinstance(val, schema.Int):
        return struct.pack("<q", val.int_val)
    if isinstance(val, schema.Double):
        return struct.pack("<d", val.double_val)
    raise ValueError(f"unsupported bundled value {type(val).__name__}")


def unbundle(bpte: pathlib.Path, out: pathlib.Path) -> list[str]:
    """Writes the program and the test cases; returns the manifest lines."""
    bundled = deserialize_from_flatbuffer_to_bundled_program(bpte.read_bytes())
    out.mkdir(parents=True, exist_ok=True)
    (out / "program.pte").write_bytes(bytes(bundled.program))
    lines: list[str] = []
    for suite_index, suite in enumerate(bundled.method_test_suites):
        for k, case in enumerate(suite.test_cases):
            case_dir = out / f"suite_{suite_index}" / f"case_{k}"
            case_dir.mkdir(parents=True, exist_ok=True)
            groups: dict[str, list[str]] = {"input": [], "expected_output": []}
            for kind, values in (
                ("input", case.inputs),
                ("expected_output", case.expected_outputs),
            ):
                for i, value in enumerate(values):
                    path = case_dir / f"{kind}_{i}.bin"
                    path.write_bytes(value_bytes(value))
                    groups[kind].append(str(path))
            lines.append(
                shlex.join(
                    [
                        f"--method={suite.method_name}",
                        f"--input_files={','.join(groups['input'])}",
                        f"--expected_outputs={','.join(groups['expected_output'])}",
                    ]
                )
            )
    (out / "manifest.txt").write_text("".join(line + "\n" for line in lines))
    return lines


def main(argv: list[str]) -> None:
    del argv
    if not _BPTE.value or not _OUTPUT_DIR.value:
        raise app.UsageError("--bpte and --output_dir are required")
    for line in unbundle(pathlib.Path(_BPTE.value), pathlib.Path(_OUTPUT_DIR.value)):
        print(line)


if __name__ == "__main__":
    app.run(main)
