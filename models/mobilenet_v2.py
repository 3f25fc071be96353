"""mobilenet_v2: torchvision's MobileNetV2, seeded weights (pretrained ones: a local state_dict)."""

from __future__ import annotations

from torch import nn

from backend.model_spec import ModelSpec, randn, seeded


def _mobilenet_v2() -> nn.Module:
    from torchvision.models import mobilenet_v2

    # weights=None: never download. For ImageNet weights, fetch torchvision's
    # mobilenet_v2-*.pth yourself and pass it as the weights file.
    module: nn.Module = mobilenet_v2(weights=None)
    return module


MODEL = ModelSpec(
    "torchvision MobileNetV2 on 1x3x224x224; seeded random weights: offline, pretrained "
    "weights need a local state_dict file (--weights), nothing is downloaded",
    seeded(_mobilenet_v2),
    randn((1, 3, 224, 224)),
)
