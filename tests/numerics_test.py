"""Shows the numerics check can fail: a lowering error, a wrong reference, a wrong target."""

from __future__ import annotations

import json
import pathlib
import shutil

import numpy as np
from absl.testing import absltest

from backend import numerics

# --intermediates (numerics' own flag) points at conv_net's U55 compile intermediates.
_INTERMEDIATES = numerics._INTERMEDIATES  # noqa: SLF001


class NumericsCheckTest(absltest.TestCase):
    def setUp(self) -> None:
        super().setUp()
        assert _INTERMEDIATES.value, "--intermediates is required"
        self.intermediates = pathlib.Path(self.create_tempdir().full_path) / "intermediates"
        shutil.copytree(_INTERMEDIATES.value, self.intermediates)
        self.numerics = self.intermediates / "numerics"
        description = json.loads((self.numerics / "numerics.json").read_text())
        self.scale = description["outputs"][0]["quantization"]["scale"]

    def _edit(self, name: str, change: float) -> None:
        path = self.numerics / name
        array = np.load(path)
        array.flat[3] += change
        np.save(path, array)

    def test_the_compiled_program_passes(self) -> None:
        lines = numerics.check(self.intermediates, "ethos-u55-128")
        self.assertEqual(len(lines), 3)
        self.assertTrue(all(line.startswith("PASS") for line in lines[1:]), lines)

    def test_a_two_step_lowering_error_fails_against_the_quantized_model(self) -> None:
        self._edit("lowered_0.npy", 2 * self.scale)
        with self.assertRaisesRegex(numerics.NumericsError, r"FAIL output 0 \(int8\) vs quantized"):
            numerics.check(self.intermediates)

    def test_a_wrong_float_reference_fails(self) -> None:
        self._edit("eager_0.npy", 0.5)
        with self.assertRaisesRegex(numerics.NumericsError, r"FAIL output 0 \(int8\) vs eager"):
            numerics.check(self.intermediates)

    def test_a_program_for_another_target_is_refused(self) -> None:
        with self.assertRaisesRegex(numerics.NumericsError, "not compiled for ethos-u85-256"):
            numerics.check(self.intermediates, "ethos-u85-256")

    def test_missing_outputs_are_an_error_not_a_pass(self) -> None:
        (self.numerics / "lowered_0.npy").unlink()
        with self.assertRaisesRegex(numerics.NumericsError, "lowered_0.npy is missing"):
            numerics.check(self.intermediates)

    def test_compare_honours_the_tolerance(self) -> None:
        tolerance = numerics.Tolerance(atol=0.0, rtol=0.0, atol_lsb=1.0, why="test")
        expected = np.zeros(4, np.float32)
        self.assertTrue(numerics.compare("x", expected + 0.1, expected, tolerance, 0.1)[0])
        self.assertFalse(numerics.compare("x", expected + 0.11, expected, tolerance, 0.1)[0])

    def test_compare_honours_the_mismatch_fraction(self) -> None:
        tolerance = numerics.TOLERANCES[("bool", "eager")]
        expected = np.zeros(100, np.bool_)
        actual = expected.copy()
        actual[:2] = True
        self.assertTrue(numerics.compare("x", actual, expected, tolerance, 0.0)[0])
        actual[:3] = True
        self.assertFalse(numerics.compare("x", actual, expected, tolerance, 0.0)[0])


if __name__ == "__main__":
    absltest.main()
