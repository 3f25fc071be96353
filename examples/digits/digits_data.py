"""scikit-learn's handwritten digits (1,797 8x8 images, in the wheel: nothing is downloaded),
split once into a training and a held-out test set."""

from __future__ import annotations

from dataclasses import dataclass

import torch

# 450 of the 1,797 images (25 %, stratified by class) are held out; the split is fixed by the seed.
TEST_FRACTION = 0.25
SPLIT_SEED = 0
PIXEL_MAX = 16.0  # the dataset's pixels are counts 0..16


@dataclass(frozen=True)
class Split:
    """Images as float tensors (N, 1, 8, 8) in [0, 1] and labels as int64 tensors (N,)."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor


def load_split() -> Split:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / PIXEL_MAX
    labels = torch.tensor(digits.target, dtype=torch.int64)
    train_index, test_index = train_test_split(
        list(range(len(labels))), test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=digits.target
    )
    train, test = torch.tensor(train_index), torch.tensor(test_index)
    return Split(images[train], labels[train], images[test], labels[test])


def ascii_art(image: torch.Tensor) -> str:
    """An 8x8 image in [0, 1] as eight lines of characters, darker characters for more ink."""
    shades = " .:-=+*#%@"
    rows = image.reshape(8, 8).tolist()
    return "\n".join("".join(2 * shades[min(int(v * len(shades)), len(shades) - 1)] for v in row) for row in rows)
