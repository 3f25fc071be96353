"""Shows the numerics check can fail for each reason it checks, on conv_net's U55 compile."""

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
        self.description = json.loads((self.numerics / "numerics.json").read_text())
        self.scale = self.description["outputs"][0]["quantization"]["scale"]

    def _edit(self, name: str, change: float, flat_index: int = 3) -> None:
        path = self.numerics / name
        array = np.load(path)
        array.flat[flat_index] += change
        np.save(path, array)

    def _describe(self, **changes: object) -> None:
        (self.numerics / "numerics.json").write_text(json.dumps(self.description | changes))

    def test_the_compiled_program_passes_on_several_out_of_sample_inputs(self) -> None:
        lines = numerics.check(self.intermediates, "ethos-u55-128")
        self.assertEqual(len(lines), 3)
        self.assertTrue(all(line.startswith("PASS") for line in lines[1:]), lines)
        self.assertGreater(len(self.description["evaluation_seeds"]), 1)
        self.assertEqual(np.load(self.numerics / "lowered_0.npy").shape[0], len(self.description["evaluation_seeds"]))

    def test_a_three_step_lowering_error_fails_against_the_quantized_model(self) -> None:
        self._edit("lowered_0.npy", 3 * self.scale)
        with self.assertRaisesRegex(numerics.NumericsError, r"FAIL output 0 \(int8\) vs quantized PyTorch: max 3"):
            numerics.check(self.intermediates)

    def test_one_step_errors_on_many_elements_fail_against_the_quantized_model(self) -> None:
        # Two steps are within the per-element bound, but not on 2 of 30 elements.
        self._edit("lowered_0.npy", 2 * self.scale, flat_index=3)
        self._edit("lowered_0.npy", 2 * self.scale, flat_index=4)
        with self.assertRaisesRegex(numerics.NumericsError, r"2/\d+ beyond 1 step"):
            numerics.check(self.intermediates)

    def test_a_badly_scaled_float_reference_fails_the_rms_bound(self) -> None:
        path = self.numerics / "eager_0.npy"
        np.save(path, np.load(path) * 1.5)
        with self.assertRaisesRegex(numerics.NumericsError, r"FAIL output 0 \(int8\) vs eager PyTorch: RMS error"):
            numerics.check(self.intermediates)

    def test_a_program_for_another_target_is_refused(self) -> None:
        with self.assertRaisesRegex(numerics.NumericsError, "not compiled for ethos-u85-256"):
            numerics.check(self.intermediates, "ethos-u85-256")

    def test_missing_outputs_are_an_error_not_a_pass(self) -> None:
        (self.numerics / "lowered_0.npy").unlink()
        with self.assertRaisesRegex(numerics.NumericsError, "lowered_0.npy is missing"):
            numerics.check(self.intermediates)

    def test_a_delegate_that_did_not_run_is_an_error(self) -> None:
        self._describe(delegate_calls_per_sample=[1, 0, 1])
        with self.assertRaisesRegex(numerics.NumericsError, r"1 delegated partition\(s\), but .* \[1, 0, 1\]"):
            numerics.check(self.intermediates)

    def test_nothing_delegated_is_not_applicable(self) -> None:
        self._describe(delegated_partitions=0, delegate_calls_per_sample=[0, 0, 0])
        self.assertEqual(
            numerics.check(self.intermediates),
            ["not applicable: nothing delegated (the program runs on the CPU only)"],
        )

    def test_rounding_noise_meets_the_derived_bound_and_saturation_does_not(self) -> None:
        # One quantizer: uniform rounding noise of RMS 1/sqrt(12) steps, the
        # derivation's own case, well within the bound with its margin.
        signal = np.random.default_rng(0).standard_normal(10_000)
        step = float(np.abs(signal).max()) / 127
        rounded = np.round(signal / step) * step
        passed, line = numerics.quantization_check("x", rounded, signal, step, numerics.max_rms_steps(1))
        self.assertTrue(passed, line)
        self.assertRegex(line, r"RMS error 0\.2\d steps")
        # Calibrated on a quarter of the range: saturation is many steps off.
        clipped = np.clip(rounded, -step * 32, step * 32)
        passed, line = numerics.quantization_check("x", clipped, signal, step, numerics.max_rms_steps(1))
        self.assertFalse(passed, line)

    def test_the_bound_grows_with_the_quantization_points(self) -> None:
        self.assertAlmostEqual(numerics.max_rms_steps(12, margin=1.0), 1.0)
        self.assertAlmostEqual(numerics.max_rms_steps(48), 2 * numerics.max_rms_steps(12))

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
