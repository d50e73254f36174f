"""Global context (GC) block of GCNet.

Paper: GCNet: Non-local Networks Meet Squeeze-Excitation Networks and Beyond,
Cao et al. 2019, https://arxiv.org/abs/1904.11492.
Code consulted: https://github.com/xvjiarui/GCNet (``mmdet/ops/gcb``) and
mmcv's ``ContextBlock`` (``mmcv/cnn/bricks/context_block.py``), written by
the same authors; this block keeps its layout and init.
"""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import constant_init, kaiming_init
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import reduced_channels
from ._gates import global_avg_pool
from .base import AttentionBlock, Paper

FUSIONS = ('channel_add', 'channel_mul')


def _transform(in_channels: int, planes: int) -> nn.Sequential:
    """1×1 conv -> LayerNorm over (C, 1, 1) -> ReLU -> 1×1 conv.

    Indexed as mmcv's (``0``, ``1``, ``3`` hold the weights). The LayerNorm
    normalises the whole bottleneck vector, which mmcv's ``build_norm_layer``
    LN (last dim only) would not, hence no shared ``ChannelMLP`` here.
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, planes, 1), nn.LayerNorm([planes, 1, 1]),
        nn.ReLU(inplace=True), nn.Conv2d(planes, in_channels, 1))


@MODELS.register_module()
class GlobalContext(AttentionBlock):
    """GC block: context modelling -> bottleneck transform -> fusion.

    Context: a softmax over the H·W positions of a 1×1 conv ``conv_mask``
    weights the input into one C-vector (``pooling_type='att'``, the
    simplified non-local block), or a plain mean (``'avg'``). Transform:
    ``1×1 -> LN -> ReLU -> 1×1`` with ``planes = in_channels · ratio``.
    Fusion: broadcast add (``channel_add``) and/or a sigmoid scale
    (``channel_mul``) of the input.

    Names, layout and init are mmcv's ``ContextBlock``'s. The last conv of
    each transform starts at zero: with ``channel_add`` alone the block
    starts as the identity; a ``channel_mul`` transform starts at
    ``sigmoid(0) = 0.5`` (as in mmcv and the official code).

    Args:
        in_channels (int): Channels of the input.
        ratio (float | int): Bottleneck width: a float in (0, 1] times
            ``in_channels`` (the paper's 1/16 and 1/4), or an int reduction.
            Defaults to 1/16.
        pooling_type (str): ``'att'`` or ``'avg'``. Defaults to ``'att'``.
        fusion_types (Sequence[str]): Non-empty subset of
            ``('channel_add', 'channel_mul')``. Defaults to
            ``('channel_add',)``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> gc = GlobalContext(64, ratio=1 / 4)
        >>> gc(torch.randn(2, 64, 7, 5)).shape
        torch.Size([2, 64, 7, 5])
    """
    paper = Paper(
        title='GCNet: Non-local Networks Meet Squeeze-Excitation Networks '
        'and Beyond',
        url='https://arxiv.org/abs/1904.11492',
        year=2019,
        family='channel-spatial',
        code='https://github.com/xvjiarui/GCNet',
        reported='Mask R-CNN R50-FPN 1x (SyncBN), GC after conv3 of '
        'c3-c5: 37.2/33.8 -> 39.4/35.7 box/mask AP (r16), 39.9/36.2 (r4)')
    identity_at_init = True
    _abbr_ = 'context_block'

    def __init__(self,
                 in_channels: int,
                 ratio: Union[float, int] = 1 / 16,
                 pooling_type: str = 'att',
                 fusion_types: Sequence[str] = ('channel_add', ),
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        if pooling_type not in ('att', 'avg'):
            raise ValueError(f"pooling_type must be 'att' or 'avg', "
                             f'got {pooling_type!r}')
        if (isinstance(fusion_types, str) or not fusion_types
                or any(f not in FUSIONS for f in fusion_types)):
            raise ValueError(f'fusion_types must be a non-empty sequence '
                             f'from {FUSIONS}, got {fusion_types!r}')
        self.ratio = ratio
        self.planes = reduced_channels(in_channels, ratio)
        self.pooling_type = pooling_type
        self.fusion_types = tuple(fusion_types)
        if pooling_type == 'att':
            self.conv_mask = nn.Conv2d(in_channels, 1, 1)
        self.channel_add_conv = _transform(in_channels, self.planes) \
            if 'channel_add' in fusion_types else None
        self.channel_mul_conv = _transform(in_channels, self.planes) \
            if 'channel_mul' in fusion_types else None
        self.reset_parameters()

    def reset_parameters(self):
        """mmcv's init: Kaiming ``conv_mask``, zero last transform convs."""
        if self.pooling_type == 'att':
            kaiming_init(self.conv_mask, mode='fan_in')
        for transform in (self.channel_add_conv, self.channel_mul_conv):
            if transform is not None:
                constant_init(transform[-1], 0)

    def spatial_pool(self, x: Tensor) -> Tensor:
        """N×C×H×W -> the N×C×1×1 context."""
        if self.pooling_type == 'avg':
            return global_avg_pool(x)
        n, c = x.shape[:2]
        mask = self.conv_mask(x).flatten(2).softmax(dim=-1)  # N×1×HW
        return torch.bmm(x.flatten(2), mask.transpose(1, 2)).view(n, c, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        context = self.spatial_pool(x)
        out = x
        if self.channel_mul_conv is not None:
            out = out * torch.sigmoid(self.channel_mul_conv(context))
        if self.channel_add_conv is not None:
            out = out + self.channel_add_conv(context)
        return out
