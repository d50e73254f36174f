"""Convolutional modulation (ConvMod), the spatial mixer of Conv2Former.

Paper: Conv2Former: A Simple Transformer-Style ConvNet for Visual
Recognition, Hou et al., https://arxiv.org/abs/2211.11943 (TPAMI 2024).
Official code consulted: https://github.com/HVision-NKU/Conv2Former
(``models/conv2former.py``, class ``SpatialAttention``; ``convmod.py``).
"""
import torch.nn as nn
from torch import Tensor

from mmattn.registry import MODELS
from ..layers import LayerNorm2d, PointwiseConv2d
from ..utils import positive_int
from .base import AttentionBlock, Paper


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

    Args:
        in_channels (int): Channels C of the input and output.
        kernel_size (int): Side k of the depthwise kernel, odd.
            Defaults to 11.
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
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        positive_int(kernel_size, 'kernel_size')
        if kernel_size % 2 == 0:
            raise ValueError(f'kernel_size must be odd, got {kernel_size}')
        self.kernel_size = kernel_size
        self.norm = LayerNorm2d(in_channels, eps=1e-6)
        self.fc_a = PointwiseConv2d(in_channels, in_channels)
        self.act = nn.GELU()
        self.dwconv = nn.Conv2d(
            in_channels, in_channels, kernel_size,
            padding=kernel_size // 2, groups=in_channels)
        self.fc_v = PointwiseConv2d(in_channels, in_channels)
        self.proj = PointwiseConv2d(in_channels, in_channels)

    def forward(self, x: Tensor) -> Tensor:
        x = self.norm(x)
        return self.proj(self.dwconv(self.act(self.fc_a(x))) * self.fc_v(x))
