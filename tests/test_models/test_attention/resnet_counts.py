"""Parameter counts of classification ResNet-50s built from mmdet's ResNet,
shared by the tests that check a block's count against its paper.

mmdet's ``ResNet`` has no classifier, so the 1000-class fc of the
classification models (2048 × 1000 + 1000) is added: a plain ResNet-50 then
has torchvision's 25,557,032 parameters.
"""
from mmdet.models.backbones import ResNet

FC_PARAMS = 2048 * 1000 + 1000
RESNET50_PARAMS = 25_557_032


def stage_plugins(cfgs, position='after_conv3'):
    """One mmdet plugin dict per stage: ``cfgs[i]`` goes in stage ``i``
    only (e.g. ECA-Net50's kernel sizes 3, 5, 5, 7)."""
    return [
        dict(cfg=cfg, position=position,
             stages=tuple(j == i for j in range(4)))
        for i, cfg in enumerate(cfgs)
    ]


def resnet50_params(plugins=None, **kwargs):
    """Parameters of mmdet's ResNet-50 with ``plugins`` (and other ResNet
    arguments, e.g. ``dcn``), plus the fc."""
    backbone = ResNet(depth=50, plugins=plugins, **kwargs)
    return sum(p.numel() for p in backbone.parameters()) + FC_PARAMS
