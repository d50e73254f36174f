"""Convolutional modulation (ConvMod), the spatial mixer of Conv2Former.

Paper: Conv2Former: A Simple Transformer-Style ConvNet for Visual
Recognition, Hou et al., https://arxiv.org/abs/2211.11943 (TPAMI 2024).
Official code consulted: https://github.com/HVision-NKU/Conv2Former
(``models/conv2former.py``, class ``SpatialAttention``; ``convmod.py``).
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmattn.registry import MODELS
from ..layers.inplace import gelu_, mul_
from ..layers.norm import LayerNorm2d
from ..utils import memory_format_of
from .base import AttentionBlock, Paper


def _positive_int(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f'{name} must be a positive int, got {value!r}')


@MODELS.register_module()
class ConvMod(AttentionBlock):
    r"""Convolutional modulation: a large-kernel depthwise convolution
    weights the values, in place of a self-attention matrix.

    .. math::
        \mathrm{ConvMod}(X) = W_3\,\big(\mathrm{DConv}_{k\times k}
        (\mathrm{GELU}(W_1 \hat X)) \odot W_2 \hat X\big),
        \quad \hat X = \mathrm{LN}(X)

    :math:`W_1, W_2, W_3` are 1×1 convolutions (``fc_a``, ``fc_v``,
    ``proj``) and :math:`\mathrm{DConv}_{k\times k}` is depthwise
    (``dwconv``). The block has no residual of its own: in Conv2Former the
    residual, layer scale and drop path sit in the surrounding block
    (:class:`mmattn.models.backbones.conv2former.Conv2FormerBlock`); as a
    plug-in after a ResNet block's last conv, the ResNet block's residual
    plays that part.

    Paper and code differ; this follows the code:

    - The paper's equations have no LayerNorm and no GELU; the code applies
      a channels_first LayerNorm (eps 1e-6) first and a GELU between
      :math:`W_1` and the depthwise conv.
    - The paper's default kernel is 11×11; the released Conv2Former-N and
      the ImageNet-22k Conv2Former-B use 7×7.

    The default forward (``fast=True``) runs in channels_last, where convs
    need no layout reorders on CPU, with the LayerNorm as one fused
    ``F.layer_norm`` (:class:`~mmattn.models.layers.norm.LayerNorm2d`), the
    GELU and the product in place when autograd does not record them
    (:mod:`~mmattn.models.layers.inplace`) and an optional output scale
    folded into ``proj``; the output has the memory format of the input.
    ``fast=False`` is the official code's formulation, in the input's
    memory format, with the hand-written LayerNorm. Both give the same
    result up to float rounding.

    Args:
        in_channels (int): Channels C of the input and output.
        kernel_size (int): Side k of the depthwise kernel, odd.
            Defaults to 11.
        fast (bool): Use the fast formulation. Defaults to True.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.

    Example:
        >>> import torch
        >>> block = ConvMod(16, kernel_size=7)
        >>> block(torch.randn(2, 16, 9, 13)).shape
        torch.Size([2, 16, 9, 13])
    """
    _abbr_ = 'conv_mod'
    paper = Paper(
        title='Conv2Former: A Simple Transformer-Style ConvNet for Visual '
        'Recognition',
        url='https://arxiv.org/abs/2211.11943',
        year=2022,
        family='channel-spatial',
        code='https://github.com/HVision-NKU/Conv2Former',
        reported='As a backbone (Conv2Former-T): UperNet ADE20K 48.0 mIoU '
        '(+1.3 over ConvNeXt-T); Mask R-CNN 3x COCO 48.0 box AP (about +2 '
        'over Swin-T and ConvNeXt-T)')

    def __init__(self, in_channels: int, kernel_size: int = 11,
                 fast: bool = True, init_cfg=None):
        super().__init__(in_channels, init_cfg)
        _positive_int('in_channels', in_channels)
        _positive_int('kernel_size', kernel_size)
        if kernel_size % 2 == 0:
            raise ValueError(f'kernel_size must be odd, got {kernel_size}')
        self.in_channels = in_channels
        self.kernel_size = kernel_size
        self.fast = fast
        self.norm = LayerNorm2d(in_channels, eps=1e-6, fast=fast)
        self.fc_a = nn.Conv2d(in_channels, in_channels, 1)
        self.act = nn.GELU()
        self.dwconv = nn.Conv2d(
            in_channels, in_channels, kernel_size,
            padding=kernel_size // 2, groups=in_channels)
        self.fc_v = nn.Conv2d(in_channels, in_channels, 1)
        self.proj = nn.Conv2d(in_channels, in_channels, 1)

    def forward(self, x: Tensor, scale: Optional[Tensor] = None) -> Tensor:
        """ConvMod(x), times ``scale`` (C factors, e.g. a layer scale) if
        given."""
        if not self.fast:
            x = self.norm(x)
            out = self.proj(self.dwconv(self.act(self.fc_a(x))) * self.fc_v(x))
            return out if scale is None else scale[:, None, None] * out
        memory_format = memory_format_of(x)
        x = self.norm(x.contiguous(memory_format=torch.channels_last))
        a = mul_(self.dwconv(gelu_(self.fc_a(x))), self.fc_v(x))
        out = scaled_conv(self.proj, a, scale)
        return out.contiguous(memory_format=memory_format)


def scaled_conv(conv: nn.Conv2d, x: Tensor,
                scale: Optional[Tensor] = None) -> Tensor:
    """``conv(x)``, times ``scale`` (one factor per output channel) folded
    into the weight and bias: the product costs no pass over the output."""
    if scale is None:
        return conv(x)
    bias = None if conv.bias is None else conv.bias * scale
    return F.conv2d(x, conv.weight * scale[:, None, None, None], bias,
                    conv.stride, conv.padding, conv.dilation, conv.groups)
