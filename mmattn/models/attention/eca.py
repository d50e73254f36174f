"""Efficient Channel Attention.

Paper: `ECA-Net: Efficient Channel Attention for Deep Convolutional Neural
Networks`, Wang et al., CVPR 2020, https://arxiv.org/abs/1910.03151

Official code: https://github.com/BangguWu/ECANet (``models/eca_module.py``,
``models/eca_resnet.py``); also consulted timm ``layers/eca.py``.
"""
import math

from torch import nn

from mmattn.registry import MODELS
from ..utils import odd_kernel_size
from ._gates import global_avg_pool
from .base import AttentionBlock, Paper


def eca_kernel_size(channels, gamma=2, beta=1):
    """The paper's adaptive kernel size ``k = |log2(C) / gamma + b / gamma|``
    made odd, computed as the official ``eca_function`` does: truncate, then
    add one if even (16/32/64 channels -> 3, 128...1024 -> 5, 2048 -> 7)."""
    k = int(abs(math.log2(channels) + beta) / gamma)
    return k if k % 2 else k + 1


@MODELS.register_module()
class ECA(AttentionBlock):
    """Efficient Channel Attention: GAP -> 1-d conv across channels -> sigmoid.

    No dimensionality reduction: a k-tap conv (no bias) slides over the
    channel descriptor.

    Kernel size: the paper derives k from C (:func:`eca_kernel_size`), which
    gives 5, 5, 5, 7 for the four ResNet stages; but the released models set
    it explicitly, and differently: ECA-Net50 ``k_size=[3, 5, 5, 7]``
    (checkpoint ``eca_resnet50_k3557``), ECA-Net101/152 ``[3, 3, 5, 7]``,
    the Mask R-CNN ECA-Net50 ``k3377`` and the Faster R-CNN ECA-Net50
    ``k5``. Pass ``kernel_size`` per stage (one plugin dict per stage in
    mmdet's ResNet) to reproduce them; leave it None for the formula.

    Args:
        in_channels (int): Channels of the input.
        kernel_size (int, optional): Odd kernel size of the 1-d conv. None
            uses the adaptive formula. Defaults to None.
        gamma (int): gamma of the formula. Defaults to 2.
        beta (int): b of the formula. Defaults to 1.
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Example:
        >>> import torch
        >>> block = ECA(256)
        >>> block.conv.kernel_size
        (5,)
        >>> block(torch.rand(2, 256, 7, 9)).shape
        torch.Size([2, 256, 7, 9])
    """
    paper = Paper(
        title='ECA-Net: Efficient Channel Attention for Deep Convolutional '
        'Neural Networks',
        url='https://arxiv.org/abs/1910.03151',
        year=2020,
        family='channel',
        code='https://github.com/BangguWu/ECANet',
        reported='Mask R-CNN ECA-Net50 1x (mmdet): 39.0 box / 35.6 mask AP; '
        'Faster R-CNN ECA-Net50: 38.0 AP (official README)')
    _abbr_ = 'eca'

    def __init__(self,
                 in_channels,
                 kernel_size=None,
                 gamma=2,
                 beta=1,
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        if kernel_size is None:
            kernel_size = eca_kernel_size(in_channels, gamma, beta)
        odd_kernel_size(kernel_size)
        self.conv = nn.Conv1d(
            1, 1, kernel_size, padding=kernel_size // 2, bias=False)

    def forward(self, x):
        y = global_avg_pool(x).flatten(2).transpose(1, 2)  # N×1×C
        y = self.conv(y).transpose(1, 2).unsqueeze(-1)  # N×C×1×1
        return x * y.sigmoid()
