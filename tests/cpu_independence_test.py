"""A compile gives the same bytes on another x86_64 CPU: the Bazel-built program against the
same compile run under qemu-x86_64 emulating a Nehalem, which has no AVX (this host's ATen,
oneDNN and MKL would pick AVX2 or AVX-512 kernels without backend/environment.bzl).

The emulated compile runs the compiler's own CLI with the interpreter and sources of this test,
in the environment compile actions get (this test's `env`), so the only difference is the CPU.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import subprocess  # nosec B404: runs qemu and the compiler, argument lists only
import sys

from absl import flags
from absl.testing import absltest

_QEMU = flags.DEFINE_string("qemu_x86_64", None, "qemu-x86_64 (user mode).")
_CPU = flags.DEFINE_string("cpu", "Nehalem", "The CPU model qemu emulates.")
_MODEL = flags.DEFINE_string("model", None, "The model the program was compiled from.")
_MODEL_NAME = flags.DEFINE_string("model_name", None, "The model's name in the report, as arm_compile passes it.")
_TARGET = flags.DEFINE_string("target", None, "Its target.")
_PROGRAM = flags.DEFINE_string("program", None, "The Bazel-built .pte.")
_REPORT = flags.DEFINE_string("report", None, "Its report.json.")


def _sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class CpuIndependenceTest(absltest.TestCase):
    def test_the_emulated_cpu_compiles_the_same_program(self) -> None:
        out = pathlib.Path(self.create_tempdir().full_path)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        command = [
            str(_QEMU.value),
            "-cpu",
            _CPU.value,
            sys.executable,
            "-m",
            "backend.compile",
            f"--model={_MODEL.value}",
            f"--model_name={_MODEL_NAME.value}",
            f"--target={_TARGET.value}",
            f"--output={out / 'program.pte'}",
            f"--report={out / 'report.json'}",
        ]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # nosec B603
        self.assertEqual(result.returncode, 0, result.stderr[-4000:])
        report = json.loads((out / "report.json").read_text())
        expected = json.loads(pathlib.Path(str(_REPORT.value)).read_text())
        differing = sorted(k for k in expected.keys() | report.keys() if expected.get(k) != report.get(k))
        self.assertEqual(differing, [], f"report fields that differ under -cpu {_CPU.value}")
        self.assertEqual(
            _sha256(out / "program.pte"),
            _sha256(pathlib.Path(str(_PROGRAM.value))),
            f"the program compiled under -cpu {_CPU.value} differs from the one built on this host",
        )


if __name__ == "__main__":
    flags.mark_flags_as_required(["qemu_x86_64", "model", "model_name", "target", "program", "report"])  # type: ignore[no-untyped-call]
    absltest.main()
