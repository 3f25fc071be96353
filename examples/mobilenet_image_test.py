"""The MobileNetV2 examples on a user's image: torchvision's ImageNet preprocessing, the whole
U55 program run on it next to float PyTorch, and one-line errors for a bad --image."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import unittest

import numpy as np
from PIL import Image

from examples.user_image import load_image

# torchvision's ImageNet normalisation (ImageClassification's defaults).
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


class LoadImageTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = pathlib.Path(os.environ["TEST_TMPDIR"])

    def test_a_uniform_image_becomes_its_normalised_colour(self) -> None:
        # A uniform image stays uniform through resize and crop, so every pixel of channel c is
        # (value / 255 - mean[c]) / std[c], up to float32 rounding.
        path = self.tmp / "uniform.png"
        Image.new("RGB", (320, 240), (200, 100, 30)).save(path)
        tensor = load_image(str(path))
        self.assertEqual(tensor.shape, (1, 3, 224, 224))
        expected = (np.array([200, 100, 30], dtype=np.float32) / 255 - MEAN) / STD
        np.testing.assert_allclose(tensor[0].reshape(3, -1), np.repeat(expected[:, None], 224 * 224, axis=1),
                                   rtol=0, atol=1e-5)

    def test_the_centre_is_kept_and_the_aspect_ratio_too(self) -> None:
        # Resize (shorter side 256) then centre crop 224 of a 512x256 image whose left and right
        # quarters are black: the crop spans columns 144..367 of the 512-wide resize, all white.
        path = self.tmp / "banded.png"
        image = Image.new("RGB", (512, 256), (255, 255, 255))
        image.paste((0, 0, 0), (0, 0, 128, 256))
        image.paste((0, 0, 0), (384, 0, 512, 256))
        image.save(path)
        tensor = load_image(str(path))
        # torchvision resamples even at the same size (3e-4 off white here): allow half a uint8
        # level, while one black column in the 112 would move the mean by 1/112 of 2.2-2.6.
        white = (1 - MEAN) / STD
        np.testing.assert_allclose(tensor[0, :, :, 0:112].mean(axis=(1, 2)), white, atol=0.5 / 255 / STD.max())

    def test_a_file_that_is_not_an_image_exits_2_with_one_line(self) -> None:
        path = self.tmp / "notes.txt"
        path.write_text("not an image\n")
        with self.assertRaises(SystemExit) as raised:
            load_image(str(path))
        self.assertEqual(raised.exception.code, 2)


class ExampleTest(unittest.TestCase):
    """The Corstone-300 example, run as `bazel run` runs it, with --image."""

    def run_example(self, *args: str) -> subprocess.CompletedProcess[str]:
        example, example_args = sys.argv[1], sys.argv[2:]
        return subprocess.run([example, *example_args, "--num_inferences=1", *args],
                              capture_output=True, text=True, check=False, timeout=600)

    def test_classifies_the_given_image_against_float_pytorch(self) -> None:
        path = pathlib.Path(os.environ["TEST_TMPDIR"]) / "gradient.png"
        ramp = np.linspace(0, 255, 300, dtype=np.uint8)
        Image.fromarray(np.stack([np.tile(ramp, (200, 1))] * 3, axis=-1)).save(path)
        result = self.run_example(f"--image={path}")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"top-5 classes ({path}):", result.stdout)
        self.assertEqual(len(re.findall(r"^  [1-5]\. .* \(class \d+\): ", result.stdout, re.M)), 5, result.stdout)
        self.assertRegex(result.stdout, r"agrees with PyTorch eager \(float\): top-5 (identical|DIFFERENT)")
        self.assertIn("MEANINGLESS", result.stdout)  # seeded weights say so

    def test_a_missing_image_is_one_line_and_exit_2(self) -> None:
        result = self.run_example("--image=/nonexistent/photo.jpg")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertEqual(result.stderr.strip().count("\n"), 0, result.stderr)
        self.assertIn("--image /nonexistent/photo.jpg", result.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
