"""vit_tiny: a ViT with DeiT-tiny's width, heads and MLP, 2 layers."""

from __future__ import annotations

from torch import nn

from backend.model_spec import ModelSpec, randn, seeded


def _vit_tiny() -> nn.Module:
    from torchvision.models.vision_transformer import VisionTransformer

    # DeiT-tiny's width (192), heads (3), MLP (768) and 16x16 patches, with 2
    # of its 12 layers on 64x64 images (16 patches + class token). ExecuTorch's
    # Arm passes cost about a minute per encoder layer: the full 12-layer
    # model took over 12 minutes per compile, 4 layers 6 minutes, too slow
    # for a suite that compiles it for five targets.
    module = VisionTransformer(image_size=64, patch_size=16, num_layers=2, num_heads=3, hidden_dim=192, mlp_dim=768)
    # torchvision zero-initialises the classifier (fine-tuning starts from
    # it); seeded random weights must reach the logits.
    nn.init.normal_(module.heads.head.weight, std=0.02)
    result: nn.Module = module
    return result


MODEL = ModelSpec(
    "ViT with DeiT-tiny's width, heads and MLP (192, 3, 768), 2 layers, on 1x3x64x64; seeded weights",
    seeded(_vit_tiny),
    randn((1, 3, 64, 64)),
)
