"""mobilenet_v3_small: torchvision's MobileNetV3-small (hardswish, squeeze-excite), seeded weights."""

from __future__ import annotations

from torch import nn

from backend.model_spec import ModelSpec, randn, seeded


def _mobilenet_v3_small() -> nn.Module:
    from torchvision.models import mobilenet_v3_small

    module: nn.Module = mobilenet_v3_small(weights=None)
    return module


MODEL = ModelSpec(
    "torchvision MobileNetV3-small on 1x3x224x224 (hardswish, squeeze-excite); seeded weights",
    seeded(_mobilenet_v3_small),
    randn((1, 3, 224, 224)),
)
