"""Exports the test models to CPU-only ExecuTorch programs (no delegate).

export -> to_edge -> to_executorch for every model in models.py, writing
<output_dir>/<name>.pte, plus:
  mlp_etrecord.bin       the ETRecord of mlp (for the ETDump converter)
  add.bpte               add bundled with one test case (inputs + eager outputs)
  add_missing_op.pte     add with its operator renamed, to test "missing operator"
"""

from __future__ import annotations

import logging
import pathlib

import torch
from absl import app, flags
from executorch.devtools import BundledProgram
from executorch.devtools.bundled_program.config import (
    MethodTestCase,
    MethodTestSuite,
)
from executorch.devtools.bundled_program.serialize import (
    serialize_from_bundled_program_to_flatbuffer,
)
from executorch.exir import to_edge

from tests.runtime import models

# executorch registers an Enum with torch's pytree, which logs a deprecation
# warning; keep the build log quiet.
logging.getLogger("torch.utils._pytree").setLevel(logging.ERROR)

_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", None, "Directory to write the programs to."
)

# An operator name of the add program and a same-length name no kernel has.
_ADD_OPERATOR = b"aten::add"
_MISSING_OPERATOR = b"aten::ad0"


def export_program(name: str, etrecord_path: pathlib.Path | None = None) -> object:
    """Returns the ExecutorchProgramManager of model `name`."""
    spec = models.MODELS[name]
    module = spec.make_module().eval()
    exported = torch.export.export(module, models.example_inputs(name))
    edge = to_edge(exported, generate_etrecord=etrecord_path is not None)
    program = edge.to_executorch()
    if etrecord_path is not None:
        program.get_etrecord().save(str(etrecord_path))
    return program


def main(argv: list[str]) -> None:
    del argv
    if not _OUTPUT_DIR.value:
        raise app.UsageError("--output_dir is required")
    out = pathlib.Path(_OUTPUT_DIR.value)
    out.mkdir(parents=True, exist_ok=True)
    programs: dict[str, object] = {}
    for name in models.MODELS:
        etrecord = out / f"{name}_etrecord.bin" if name == "mlp" else None
        programs[name] = export_program(name, etrecord)
        (out / f"{name}.pte").write_bytes(programs[name].buffer)  # type: ignore[attr-defined]

    # A bundled program: add with one test case and PyTorch eager's outputs.
    inputs = models.example_inputs("add")
    expected = models.eager_outputs("add", inputs)
    bundled = BundledProgram(
        programs["add"],
        [MethodTestSuite("forward", [MethodTestCase(list(inputs), expected)])],
    )
    (out / "add.bpte").write_bytes(
        serialize_from_bundled_program_to_flatbuffer(bundled)
    )

    # A program whose operator no kernel library registers.
    buffer: bytes = programs["add"].buffer  # type: ignore[attr-defined]
    if buffer.count(_ADD_OPERATOR) != 1:
        raise SystemExit(f"expected exactly one {_ADD_OPERATOR!r} in add.pte")
    (out / "add_missing_op.pte").write_bytes(
        buffer.replace(_ADD_OPERATOR, _MISSING_OPERATOR)
    )


if __name__ == "__main__":
    app.run(main)
