"""Strip pooling module (SPM) of SPNet.

Paper: `Strip Pooling: Rethinking Spatial Pooling for Scene Parsing`, Hou et
al., CVPR 2020, https://arxiv.org/abs/2003.13328

Official code: https://github.com/Andrew-Qibin/SPNet (``models/resnet.py``:
``SPBlock`` and its use in ``Bottleneck``).
"""
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import nn

from mmattn.registry import MODELS
from .base import AttentionBlock, Paper


@MODELS.register_module()
class StripPooling(AttentionBlock):
    """Strip pooling: H×1 and 1×W average strips -> 1-d convs -> expand, sum
    -> ReLU -> 1×1 conv -> sigmoid gate.

    As the official ``SPBlock``: the vertical strip (mean over W) goes
    through a 3×1 conv + BN, the horizontal strip (mean over H) through a
    1×3 conv + BN, both without bias and without reduction; their broadcast
    sum, a ReLU and a 1×1 conv with bias give the gate that multiplies the
    input (``out * spm(out)`` in the official bottleneck).

    Placement: the official SPNet ResNet applies it after ``conv2`` (after
    its BN and ReLU, mmdet's ``after_conv2``) in the last block of every
    stage and in all blocks of the last stage. The mixed pooling module of
    SPNet's head (``StripPooling`` in the official ``customize.py``) is a
    head, not this block.

    Args:
        in_channels (int): Channels of the input.
        norm_cfg (dict): Norm after the strip convs.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation after the sum.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Example:
        >>> import torch
        >>> block = StripPooling(64)
        >>> block(torch.rand(2, 64, 7, 9)).shape
        torch.Size([2, 64, 7, 9])
    """
    paper = Paper(
        title='Strip Pooling: Rethinking Spatial Pooling for Scene Parsing',
        url='https://arxiv.org/abs/2003.13328',
        year=2020,
        family='spatial',
        code='https://github.com/Andrew-Qibin/SPNet')
    _abbr_ = 'strip_pool'

    def __init__(self,
                 in_channels,
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        c = in_channels
        self.conv_h = nn.Conv2d(c, c, (3, 1), padding=(1, 0), bias=False)
        self.norm_h = build_norm_layer(norm_cfg, c)[1]
        self.conv_w = nn.Conv2d(c, c, (1, 3), padding=(0, 1), bias=False)
        self.norm_w = build_norm_layer(norm_cfg, c)[1]
        self.act = build_activation_layer(act_cfg)
        self.fuse = nn.Conv2d(c, c, 1)

    def forward(self, x):
        strip_h = self.norm_h(self.conv_h(x.mean(3, keepdim=True)))  # H×1
        strip_w = self.norm_w(self.conv_w(x.mean(2, keepdim=True)))  # 1×W
        return x * self.fuse(self.act(strip_h + strip_w)).sigmoid()
