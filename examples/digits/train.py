"""Trains DigitsNet on the training split of scikit-learn's digits, deterministically: the same
state_dict bytes on every run and every x86_64 CPU (seeded, one thread, and the compile's
CPU-independent numerics: backend/environment.bzl's environment, set by the digits_training rule,
and pin_torch_numerics).

Writes the weights, the training split as calibration data (--calibration_data's format: a list
of input tuples), one training digit as the example inputs and the held-out split as a labelled
dataset (inputs as a list of input tuples, labels as an int64 tensor) for tools/accuracy.
"""

from __future__ import annotations

import pathlib
import sys

import torch
from absl import app, flags
from torch import nn

from backend.pipeline import pin_torch_numerics
from examples.digits.digits_data import load_split
from examples.digits.digits_net import DigitsNet

_WEIGHTS = flags.DEFINE_string("output_weights", None, "Where to write the trained state_dict.", required=True)
_CALIBRATION = flags.DEFINE_string(
    "output_calibration_data", None, "Where to write the training split's inputs.", required=True
)
_EXAMPLE = flags.DEFINE_string("output_example_inputs", None, "Where to write one training digit.", required=True)
_TEST = flags.DEFINE_string("output_test_data", None, "Where to write the held-out (inputs, labels).", required=True)
_EPOCHS = flags.DEFINE_integer("epochs", 30, "Passes over the training split.")

SEED = 0
BATCH = 32
LEARNING_RATE = 3e-3


def train(images: torch.Tensor, labels: torch.Tensor, epochs: int) -> DigitsNet:
    torch.manual_seed(SEED)
    model = DigitsNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_function = nn.CrossEntropyLoss()
    order = torch.Generator().manual_seed(SEED)
    model.train()
    for _ in range(epochs):
        for batch in torch.split(torch.randperm(len(labels), generator=order), BATCH):
            optimizer.zero_grad()
            loss_function(model(images[batch]), labels[batch]).backward()
            optimizer.step()
    return model.eval()


def main(argv: list[str]) -> int:
    del argv
    pin_torch_numerics()
    torch.use_deterministic_algorithms(True)
    split = load_split()
    model = train(split.train_images, split.train_labels, _EPOCHS.value)
    with torch.no_grad():
        correct = int((model(split.test_images).argmax(1) == split.test_labels).sum())
    print(f"float top-1 on the {len(split.test_labels)} held-out digits: {correct}/{len(split.test_labels)}")
    outputs = {
        _WEIGHTS.value: model.state_dict(),
        _CALIBRATION.value: [(image.unsqueeze(0),) for image in split.train_images],
        _EXAMPLE.value: (split.train_images[:1].clone(),),
        _TEST.value: ([(image.unsqueeze(0),) for image in split.test_images], split.test_labels),
    }
    for path, value in outputs.items():
        pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
        torch.save(value, path)
    return 0


if __name__ == "__main__":
    sys.exit(app.run(main))
