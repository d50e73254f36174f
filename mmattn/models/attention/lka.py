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
from ..utils import init_conv_fan_out, positive_int
from .base import AttentionBlock, Paper


@MODELS.register_module()
class LKA(AttentionBlock):
    """Large Kernel Attention: ``x * conv1(dw_d(dw(x)))``.

    A K×K convolution decomposed into a (2d-1)×(2d-1) depthwise conv, a
    ceil(K/d)×ceil(K/d) depthwise conv with dilation d and a 1×1 conv; the
    result multiplies the input elementwise, so the attention map adapts in
    space and in channels. The defaults (K=21, d=3) give the official
    ``AttentionModule``: depthwise 5×5, depthwise 7×7 with dilation 3
    (padding 9), 1×1, under its attribute names (``conv0``,
    ``conv_spatial``, ``conv1``).

    In VAN it sits inside ``proj_1 -> GELU -> LKA -> proj_2`` (see
    :class:`mmattn.models.backbones.van.SpatialAttention`); standalone it is
    a plug-in for any N×C×H×W feature map.

    Args:
        in_channels (int): Channels of the input.
        kernel_size (int): The large kernel K that is decomposed. Defaults
            to 21.
        dilation (int): Dilation d of the long-range depthwise conv.
            ``ceil(kernel_size / dilation)`` must be odd. Defaults to 3.
        init_cfg (dict, optional): Initialisation config; without one the
            convs get VAN's init (:meth:`reset_parameters`). Defaults to
            None.

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
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        positive_int(kernel_size, 'kernel_size')
        positive_int(dilation, 'dilation')
        dilated = math.ceil(kernel_size / dilation)
        if dilated % 2 == 0:
            raise ValueError(
                f'kernel_size and dilation need ceil(kernel_size / dilation) '
                f'odd, got kernel_size={kernel_size}, dilation={dilation}')
        local = 2 * dilation - 1
        self.conv0 = nn.Conv2d(in_channels, in_channels, local,
                               padding=local // 2, groups=in_channels)
        self.conv_spatial = PolyphaseConv2d(
            in_channels, in_channels, dilated,
            padding=dilation * (dilated // 2), dilation=dilation,
            groups=in_channels)
        self.conv1 = PointwiseConv2d(in_channels, in_channels)

    def reset_parameters(self):
        """VAN's init: conv weights ~ N(0, 2 / fan_out), biases 0."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init_conv_fan_out(m)

    def forward(self, x: Tensor) -> Tensor:
        return x * self.conv1(self.conv_spatial(self.conv0(x)))
