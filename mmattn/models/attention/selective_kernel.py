"""Selective kernel convolution: split, fuse, select.

Paper: Selective Kernel Networks, Li et al., CVPR 2019,
https://arxiv.org/abs/1903.06586.
Official code consulted: https://github.com/implus/SKNet
(Caffe, ``models/sknet50.prototxt``); also timm ``layers/selective_kernel.py``.
"""
from typing import Sequence

import torch
from mmcv.cnn import ConvModule
from torch import Tensor, nn

from mmattn.registry import MODELS
from mmattn.models.utils import positive_int, reduced_channels
from ._gates import ChannelMLP, check_pooled_batch, global_avg_pool
from .base import AttentionBlock, Paper


@MODELS.register_module()
class SK(AttentionBlock):
    """Selective kernel convolution on C channels, C in, C out.

    Split: M branches, each a grouped 3×3 conv with its own dilation, BN and
    ReLU (the 5×5 branch of the paper is a 3×3 conv with dilation 2 in the
    official models). Fuse: the branches are summed, globally averaged, and
    an FC (C -> d, d = max(C / r, L)), BN, ReLU and FC (d -> M·C) give one
    logit per branch and channel; both FCs have no bias, as in the official
    prototxt. Select: a softmax over the branches weighs their sum. The fuse
    BN sees N×d pooled vectors, as in the official prototxt, so it cannot
    train at batch 1; a GN through ``norm_cfg`` can.

    In SKNet the SK convolution replaces the 3×3 conv of a ResNeXt
    bottleneck and feeds its 1×1 conv: ``position='after_conv2'`` in a
    ResNet is the nearest plug-in position (an extra convolution there, not
    a replacement).

    Args:
        in_channels (int): Channels of the input, divisible by ``groups``.
        dilations (Sequence[int]): Dilation of each branch's 3×3 conv.
            Defaults to (1, 2).
        groups (int): Groups of the branch convs (the cardinality G).
            Defaults to 32.
        ratio (float | int): Width of the fuse FC before the floor L: a
            float in (0, 1] multiplies ``in_channels``, an int r divides it.
            Defaults to 1/16 (the paper's r = 16).
        min_channels (int): L, the floor of the fuse width. Defaults to 32.
        norm_cfg (dict): Norm of the branches and of the fuse FC.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation of the branches and of the fuse FC.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> import torch
        >>> block = SK(64)
        >>> block(torch.rand(2, 64, 9, 13)).shape
        torch.Size([2, 64, 9, 13])
    """
    paper = Paper(
        title='Selective Kernel Networks',
        url='https://arxiv.org/abs/1903.06586',
        year=2019,
        family='branch',
        code='https://github.com/implus/SKNet',
        reported='')
    _abbr_ = 'sk'

    def __init__(self,
                 in_channels: int,
                 dilations: Sequence[int] = (1, 2),
                 groups: int = 32,
                 ratio=1 / 16,
                 min_channels: int = 32,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        hidden = reduced_channels(in_channels, ratio,
                                  min_channels=min_channels)
        if in_channels % positive_int(groups, 'groups'):
            raise ValueError(f'groups must divide in_channels={in_channels}, '
                             f'got {groups!r}')
        if len(dilations) < 2:
            raise ValueError(f'dilations must hold two or more branches, '
                             f'got {dilations!r}')
        for i, d in enumerate(dilations):
            positive_int(d, f'dilations[{i}]')
        self.branches = nn.ModuleList(
            ConvModule(in_channels, in_channels, 3, padding=d, dilation=d,
                       groups=groups, norm_cfg=norm_cfg, act_cfg=act_cfg)
            for d in dilations)
        self.fuse = ChannelMLP(
            in_channels, hidden, out_channels=len(dilations) * in_channels,
            norm_cfg=norm_cfg, act_cfg=act_cfg, bias=False)

    def select(self, fused: Tensor) -> Tensor:
        """Selection weights from the sum of the branches.

        Args:
            fused (Tensor): N×C×H×W sum of the branch outputs.

        Returns:
            Tensor: N×M×C×1×1 weights, a softmax over the M branches.
        """
        logits = self.fuse(global_avg_pool(fused))
        return logits.unflatten(1, (len(self.branches), -1)).softmax(1)

    def forward(self, x: Tensor) -> Tensor:
        check_pooled_batch(self, self.fuse.norm, x)
        feats = torch.stack([branch(x) for branch in self.branches], 1)
        return (feats * self.select(feats.sum(1))).sum(1)
