"""A user's image for the MobileNetV2 examples, and float PyTorch's logits for it."""

from __future__ import annotations

import os
import pathlib
import sys

import numpy as np
import numpy.typing as npt


def load_image(path: str) -> npt.NDArray[np.float32]:
    """A user's image as MobileNetV2 takes it, (1, 3, 224, 224): torchvision's ImageNet
    preprocessing for its MobileNetV2 weights (resize to 256, centre crop 224, normalise).
    A relative path is the user's: under `bazel run`, relative to where it was called. Exits 2
    with one line when the file is missing or not an image."""
    from PIL import Image, UnidentifiedImageError
    from torchvision.models import MobileNet_V2_Weights

    path = os.path.join(os.environ.get("BUILD_WORKING_DIRECTORY", ""), path)
    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
    except (OSError, UnidentifiedImageError) as error:
        print(f"error: --image {path}: {error}", file=sys.stderr)
        sys.exit(2)
    preprocess = MobileNet_V2_Weights.IMAGENET1K_V1.transforms()
    return preprocess(rgb).unsqueeze(0).numpy().astype(np.float32)  # type: ignore[no-any-return]


def eager_logits(image: npt.NDArray[np.float32], weights: str) -> npt.NDArray[np.float32]:
    """Float PyTorch's MobileNetV2 logits for `image`, with the weights the programs were compiled
    with: the seeded ones, or the --//examples:mobilenet_weights state_dict."""
    import torch

    from backend.model_spec import load_weights
    from models.mobilenet_v2 import MODEL

    module = MODEL.build()
    if weights:
        module = load_weights(module, pathlib.Path(weights))
    with torch.no_grad():
        logits: npt.NDArray[np.float32] = module(torch.from_numpy(image)).numpy().ravel()
    return logits


def example_input(
    image_path: str | None, weights: str, intermediates: str
) -> tuple[npt.NDArray[np.float32], dict[str, npt.NDArray[np.float32]], str]:
    """(image, reference logits by name, what the image is) for a MobileNetV2 example.

    With --image: the user's image and float PyTorch's logits for it (the compile's quantized and
    lowered references exist for its own inputs only). Without: the compile's own example input and
    every reference its numerics/ holds (eager, quantized PyTorch, the lowered program); numerics/
    stacks the evaluation samples and the first is the example input.
    """
    if image_path:
        image = load_image(image_path)
        return image, {"PyTorch eager (float)": eager_logits(image, weights)}, image_path
    numerics = pathlib.Path(intermediates) / "numerics"
    image = np.load(numerics / "input_0.npy", allow_pickle=False)[0]
    references = {
        name: np.load(numerics / f"{kind}_0.npy", allow_pickle=False)[0].ravel()
        for name, kind in [
            ("PyTorch eager", "eager"),
            ("quantized PyTorch", "quantized"),
            ("the lowered program (NPU part on the TOSA reference model)", "lowered"),
        ]
        if (numerics / f"{kind}_0.npy").exists()
    }
    return image, references, "deterministic seeded input; --image=PATH for your own"
