"""resnet18: torchvision's ResNet-18, seeded weights."""

from __future__ import annotations

from torch import nn

from backend.model_spec import ModelSpec, randn, seeded


def _resnet18() -> nn.Module:
    from torchvision.models import resnet18

    module: nn.Module = resnet18(weights=None)
    return module


MODEL = ModelSpec("torchvision ResNet-18 on 1x3x224x224; seeded weights", seeded(_resnet18), randn((1, 3, 224, 224)))
