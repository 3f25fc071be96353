"""Shows the numerics check can fail: wrong weights, corrupted TOSA, a tight tolerance."""

from __future__ import annotations

import pathlib
import shutil

import numpy as np
import torch
from absl.testing import absltest

from backend import models, numerics

# --intermediates (numerics' own flag) points at conv_net's compile intermediates.
_INTERMEDIATES = numerics._INTERMEDIATES  # noqa: SLF001


class NumericsCheckTest(absltest.TestCase):
    def setUp(self) -> None:
        super().setUp()
        assert _INTERMEDIATES.value, "--intermediates is required"
        self.intermediates = pathlib.Path(_INTERMEDIATES.value)

    def test_the_compiled_program_passes(self) -> None:
        lines = numerics.check("conv_net", self.intermediates, None)
        self.assertTrue(all(line.startswith(("PASS", "TOSA")) for line in lines), lines)

    def test_different_weights_fail(self) -> None:
        torch.manual_seed(1234)
        other = models.ConvNet().state_dict()
        weights = pathlib.Path(self.create_tempdir().full_path) / "other.pt"
        torch.save(other, weights)
        with self.assertRaisesRegex(numerics.NumericsError, "FAIL output 0 .* vs eager"):
            numerics.check("conv_net", self.intermediates, weights)

    def test_a_different_tosa_graph_fails(self) -> None:
        # The add graph cannot stand in for conv_net: its inputs do not fit.
        copy = pathlib.Path(self.create_tempdir().full_path)
        for item in self.intermediates.iterdir():
            if item.is_file():
                shutil.copy(item, copy / item.name)
        io = (copy / "delegate_io.json").read_text().replace('"scale": 0.', '"scale": 1.')
        (copy / "delegate_io.json").write_text(io)
        with self.assertRaises(numerics.NumericsError):
            numerics.check("conv_net", copy, None)

    def test_compare_honours_the_tolerance(self) -> None:
        tolerance = numerics.Tolerance(atol=0.0, rtol=0.0, atol_lsb=1.0, why="test")
        expected = np.zeros(4, np.float32)
        self.assertTrue(numerics.compare("x", expected + 0.1, expected, tolerance, 0.1)[0])
        self.assertFalse(numerics.compare("x", expected + 0.11, expected, tolerance, 0.1)[0])

    def test_quantize_round_trips_within_half_a_step(self) -> None:
        q = {"scale": 0.05, "zero_point": 3, "dtype": "int8"}
        values = np.linspace(-6, 6, 97, dtype=np.float32)
        restored = numerics.dequantize(numerics.quantize(values, q), q)
        self.assertLessEqual(float(np.max(np.abs(restored - values))), 0.025 + 1e-6)
        self.assertEqual(numerics.quantize(np.array([100.0]), q).tolist(), [127])


if __name__ == "__main__":
    absltest.main()
