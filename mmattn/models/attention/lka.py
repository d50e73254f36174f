"""Large Kernel Attention (LKA), the token mixer of VAN.

Paper: Visual Attention Network, Guo et al. 2022,
https://arxiv.org/abs/2202.09741.
Official code consulted:
https://github.com/Visual-Attention-Network/VAN-Classification
(``models/van.py``, ``AttentionModule``).
"""
import math

import torch.nn as nn
from torch import Tensor

from mmattn.registry import MODELS
from ..layers import PointwiseConv2d, PolyphaseConv2d
from .base import AttentionBlock, Paper


@MODELS.register_module()
class LKA(AttentionBlock):
    """Large Kernel Attention: ``x * conv1(dw_d(dw(x)))``.

    A K×K convolution decomposed into a (2d-1)×(2d-1) depthwise conv, a
    ceil(K/d)×ceil(K/d) depthwise conv with dilation d and a 1×1 conv; the
    result multiplies the input elementwise, so the attention map adapts in
    space and in channels. With the defaults (K=21, d=3) this is the
    official ``AttentionModule``: depthwise 5×5, depthwise 7×7 with dilation
    3 (padding 9), 1×1, and the same attribute names (``conv0``,
    ``conv_spatial``, ``conv1``), so official weights load unchanged.

    In VAN it sits inside ``proj_1 -> GELU -> LKA -> proj_2`` (see
    :class:`mmattn.models.backbones.van.SpatialAttention`); standalone it is
    a plug-in attention block for any N×C×H×W feature map.

    The dilated depthwise conv runs as a plain 7×7 on the 3×3 polyphase
    parts of its input (:class:`~mmattn.models.layers.PolyphaseConv2d`):
    the same sums, several times faster on CPU. ``fast=False`` runs the
    straightforward dilated conv instead, as a reference.

    Args:
        in_channels (int): Channels of the input.
        kernel_size (int): The large kernel K that is decomposed. Defaults
            to 21.
        dilation (int): Dilation d of the long-range depthwise conv.
            ``ceil(kernel_size / dilation)`` must be odd. Defaults to 3.
        fast (bool): Polyphase dilated conv. Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> import torch
        >>> lka = LKA(16)
        >>> lka(torch.randn(2, 16, 15, 9)).shape
        torch.Size([2, 16, 15, 9])
    """
    paper = Paper(
        title='Visual Attention Network',
        url='https://arxiv.org/abs/2202.09741',
        year=2022,
        family='channel-spatial',
        code='https://github.com/Visual-Attention-Network/VAN-Classification',
        reported='as the token mixer of the VAN backbone (no block-only '
        'dense-prediction ablation): VAN-B2 Mask R-CNN 1x COCO 46.4 box / '
        '41.8 mask AP; Semantic FPN 40k ADE20K 46.7 mIoU; UperNet 160k '
        'ADE20K 50.1 mIoU')
    _abbr_ = 'lka'

    def __init__(self,
                 in_channels: int,
                 kernel_size: int = 21,
                 dilation: int = 3,
                 fast: bool = True,
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        if not isinstance(in_channels, int) or in_channels <= 0:
            raise ValueError(f'in_channels must be a positive int, '
                             f'got {in_channels!r}')
        if not isinstance(dilation, int) or dilation < 1:
            raise ValueError(f'dilation must be a positive int, '
                             f'got {dilation!r}')
        dilated = math.ceil(kernel_size / dilation) \
            if isinstance(kernel_size, int) and kernel_size > 0 else 0
        if dilated % 2 == 0:
            raise ValueError(
                f'kernel_size must be a positive int with '
                f'ceil(kernel_size / dilation) odd, got '
                f'kernel_size={kernel_size!r}, dilation={dilation}')
        local = 2 * dilation - 1
        self.in_channels = in_channels
        self.conv0 = nn.Conv2d(in_channels, in_channels, local,
                               padding=local // 2, groups=in_channels)
        self.conv_spatial = PolyphaseConv2d(
            in_channels, in_channels, dilated,
            padding=dilation * (dilated // 2), dilation=dilation,
            groups=in_channels, fast=fast)
        self.conv1 = PointwiseConv2d(in_channels, in_channels)

    @property
    def fast(self) -> bool:
        """Whether the dilated conv takes the polyphase path."""
        return self.conv_spatial.fast

    @fast.setter
    def fast(self, value: bool):
        self.conv_spatial.fast = value

    def init_weights(self):
        """The official init: conv weights ~ N(0, 2 / fan_out), bias 0."""
        super().init_weights()
        if self.init_cfg is None:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    conv_fan_out_init(m)

    def forward(self, x: Tensor) -> Tensor:
        return x * self.conv1(self.conv_spatial(self.conv0(x)))


def conv_fan_out_init(conv: nn.Conv2d):
    """VAN's conv init: weight ~ N(0, 2 / fan_out), with fan_out the
    kernel area times out_channels / groups; bias 0."""
    fan_out = conv.kernel_size[0] * conv.kernel_size[1] * conv.out_channels
    nn.init.normal_(conv.weight, 0, math.sqrt(2.0 / (fan_out // conv.groups)))
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)
