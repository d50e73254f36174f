"""Residual attention: a bottom-up top-down soft mask times a trunk, (1 + M)·T.

Paper: Residual Attention Network for Image Classification, Wang et al.,
CVPR 2017, https://arxiv.org/abs/1704.06904.
Official code consulted: https://github.com/fwang91/residual-attention-network
(Caffe, ``imagenet_model/Attention-56-deploy.prototxt``).
"""
from typing import Tuple

import torch
from mmcv.cnn import ConvModule
from torch import Tensor, nn

from mmattn.registry import MODELS
from mmattn.models.utils import (non_negative_int, positive_int,
                                 reduced_channels)
from .base import AttentionBlock, Paper

_PRE_ACT = ('norm', 'act', 'conv')


@MODELS.register_module()
class ResidualAttention(AttentionBlock):
    """The attention module of the Residual Attention Network.

    With p, t and r the paper's hyper-parameters (1, 2 and 1 in
    Attention-56/92)::

        h = p residual units (x)
        T = t residual units (h)                          # trunk branch
        M = σ(head(up(mask branch(down(h)))))             # soft mask in (0, 1)
        out = p residual units ((1 + M) · T)

    Residual units are the official pre-activation bottlenecks
    (BN-ReLU-conv1×1 to C/4, BN-ReLU-conv3×3, BN-ReLU-conv1×1 to C, plus the
    input; no conv biases). The mask branch, as in the official prototxt:
    ``depth`` times a max-pool (3×3, stride 2) followed by r units, with one
    residual unit on each level but the deepest as a skip connection; 2r
    units at the deepest level; on the way up, bilinear up-sampling to the
    skip's size (Caffe's ``Interp``, i.e. ``align_corners=True``), the skip
    added, and r units; a last up-sampling to the input size, then
    BN-ReLU-conv1×1-BN-ReLU-conv1×1 and a sigmoid. Attention-56 uses depth 3,
    2 and 1 in its stages 1, 2 and 3 (56, 28 and 14 pixels), so the deepest
    level is 7×7 in each.

    Caffe's max-pool has no padding and rounds up; here it has padding 1 and
    rounds down: the same output sizes for even inputs, and it also works for
    inputs smaller than 3 pixels.

    As a plug-in, the host's residual block already plays the role of the
    p units and of the trunk, so the defaults are ``pre_post_units=0,
    trunk_units=0``: ``(1 + M(x)) · x``, the soft mask alone.
    ``pre_post_units=1, trunk_units=2`` is the paper's full module
    (Attention-56/92). The paper places one module per stage, which mmdet's
    per-block ``plugins`` cannot express.

    Args:
        in_channels (int): Channels of the input.
        depth (int): Number of down-samplings in the mask branch.
            Defaults to 1.
        pre_post_units (int): p, residual units before the split and after
            the fusion (1 in the paper). Defaults to 0.
        trunk_units (int): t, residual units of the trunk (2 in the paper).
            Defaults to 0.
        mask_units (int): r, residual units between the mask's pools.
            Defaults to 1.
        ratio (float | int): Bottleneck width of the residual units.
            Defaults to 1/4.
        norm_cfg (dict): Norm of the units and of the mask head.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation of the units and of the mask head.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> import torch
        >>> block = ResidualAttention(64, depth=2)  # (1 + M(x)) · x
        >>> block(torch.rand(2, 64, 9, 13)).shape
        torch.Size([2, 64, 9, 13])
    """
    paper = Paper(
        title='Residual Attention Network for Image Classification',
        url='https://arxiv.org/abs/1704.06904',
        year=2017,
        family='channel-spatial',
        code='https://github.com/fwang91/residual-attention-network',
        reported='')
    _abbr_ = 'res_att'

    def __init__(self,
                 in_channels: int,
                 depth: int = 1,
                 pre_post_units: int = 0,
                 trunk_units: int = 0,
                 mask_units: int = 1,
                 ratio=1 / 4,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        self.depth = positive_int(depth, 'depth')
        positive_int(mask_units, 'mask_units')
        non_negative_int(pre_post_units, 'pre_post_units')
        non_negative_int(trunk_units, 'trunk_units')
        width = reduced_channels(in_channels, ratio)

        def units(num):
            return nn.Sequential(*[
                PreActBottleneck(in_channels, width, norm_cfg, act_cfg)
                for _ in range(num)
            ])

        self.pre = units(pre_post_units)
        self.trunk = units(trunk_units)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.down = nn.ModuleList(
            units(mask_units * (2 if level == depth - 1 else 1))
            for level in range(depth))
        self.skips = nn.ModuleList(units(1) for _ in range(depth - 1))
        self.up = nn.ModuleList(units(mask_units) for _ in range(depth - 1))
        self.mask_head = nn.Sequential(*[
            ConvModule(in_channels, in_channels, 1, norm_cfg=norm_cfg,
                       act_cfg=act_cfg, order=_PRE_ACT) for _ in range(2)
        ])
        self.post = units(pre_post_units)

    def mask(self, x: Tensor) -> Tensor:
        """The soft mask M(x) in (0, 1), the shape of ``x``."""
        skips = []
        out = x
        for level, down in enumerate(self.down):
            out = down(self.pool(out))
            if level < self.depth - 1:
                skips.append(self.skips[level](out))
        for level in reversed(range(self.depth - 1)):
            out = _resize(out, skips[level].shape[2:]) + skips[level]
            out = self.up[level](out)
        return self.mask_head(_resize(out, x.shape[2:])).sigmoid()

    def forward(self, x: Tensor) -> Tensor:
        x = self.pre(x)
        trunk = self.trunk(x)
        return self.post(trunk * (1 + self.mask(x)))


class PreActBottleneck(nn.Module):
    """The official residual unit: ``x + conv(act(norm(...)))`` three
    times (1×1 to ``width``, 3×3, 1×1 back), no conv biases."""

    def __init__(self, channels, width, norm_cfg, act_cfg):
        super().__init__()
        kwargs = dict(norm_cfg=norm_cfg, act_cfg=act_cfg, order=_PRE_ACT)
        self.conv1 = ConvModule(channels, width, 1, **kwargs)
        self.conv2 = ConvModule(width, width, 3, padding=1, **kwargs)
        self.conv3 = ConvModule(width, channels, 1, **kwargs)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv3(self.conv2(self.conv1(x)))


def _resize(x: Tensor, size: Tuple[int, int]) -> Tensor:
    """Caffe's ``Interp``: bilinear with the corners aligned, as
    ``A_h @ x @ A_wᵀ`` with the two interpolation matrices (the numbers of
    ``F.interpolate(..., 'bilinear', align_corners=True)``; torch 2.13's
    inductor miscompiles the backward of that op in graphs with other
    blocks)."""
    return _interp_matrix(size[0], x.shape[2], x) @ x @ _interp_matrix(
        size[1], x.shape[3], x).transpose(0, 1)


def _interp_matrix(out_size: int, in_size: int, like: Tensor) -> Tensor:
    """out_size×in_size weights of 1-d linear interpolation with the end
    points aligned: output ``j`` reads input position
    ``j (in_size - 1) / (out_size - 1)``."""
    scale = (in_size - 1) / max(out_size - 1, 1)
    pos = torch.arange(out_size, device=like.device) * scale
    low = pos.floor().long()
    frac = (pos - low).to(like.dtype)[:, None]
    high = (low + 1).clamp(max=in_size - 1)
    index = torch.arange(in_size, device=like.device)
    return (index == low[:, None]).to(like.dtype) * (1 - frac) + \
        (index == high[:, None]).to(like.dtype) * frac
