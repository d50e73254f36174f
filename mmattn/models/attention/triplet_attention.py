"""Triplet attention: three rotated spatial gates, averaged.

Paper: Rotate to Attend: Convolutional Triplet Attention Module, Misra et al.,
WACV 2021, https://arxiv.org/abs/2010.03045.
Official code consulted: https://github.com/landskape-ai/triplet-attention
(``triplet_attention.py``, ``MODELS/resnet.py``).
"""
from typing import Optional

import torch
from torch import Tensor

from mmattn.registry import MODELS
from ._gates import z_pool
from .base import AttentionBlock, Paper
from .cbam import SpatialGate


@MODELS.register_module()
class TripletAttention(AttentionBlock):
    """Triplet attention: ``x * (g_cw + g_hc + g_hw) / 3``.

    Each branch is a Z-pool (max and mean) over one axis of the N×C×H×W
    input, a k×k conv (2 -> 1, no bias), a BatchNorm (momentum 0.01 in
    PyTorch's convention, as the official ``BasicConv``) and a sigmoid:

    - ``cw`` pools over H and convolves the C×W plane;
    - ``hc`` pools over W and convolves the H×C plane;
    - ``hw`` pools over C and convolves the H×W plane (CBAM's spatial gate).

    The official code rotates (permutes) the whole input for each branch,
    gates it and rotates it back, then averages the three gated tensors.
    Here the gates are computed from pools of the unrotated input and
    broadcast, and averaged before one multiplication, without the rotated
    copies. ``spatial=False`` drops the ``hw`` branch and averages the other
    two (the official ``no_spatial=True``).

    In the official ResNets the block sits after the last BN of each
    residual branch, before the addition (``position='after_conv3'``).

    Args:
        in_channels (int): Channels of the input (the gates do not depend on
            it; it is checked and kept for the plug-in contract).
        kernel_size (int): Kernel of the three convs, odd. Defaults to 7.
        spatial (bool): Whether to keep the ``hw`` branch. Defaults to True.
        norm_cfg (dict, optional): Norm after each conv.
            Defaults to ``dict(type='BN', momentum=0.01)``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> import torch
        >>> block = TripletAttention(64)
        >>> block(torch.rand(2, 64, 9, 13)).shape
        torch.Size([2, 64, 9, 13])
    """
    paper = Paper(
        title='Rotate to Attend: Convolutional Triplet Attention Module',
        url='https://arxiv.org/abs/2010.03045',
        year=2021,
        family='channel-spatial',
        code='https://github.com/landskape-ai/triplet-attention',
        reported='Mask R-CNN R50-FPN 1x COCO (detectron2, ImageNet-pretrained '
        'triplet-attention backbone, k = 7): 39.8 box / 35.8 mask AP')
    _abbr_ = 'triplet_att'

    def __init__(self,
                 in_channels: int,
                 kernel_size: int = 7,
                 spatial: bool = True,
                 norm_cfg: Optional[dict] = dict(type='BN', momentum=0.01),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        self.spatial = spatial
        self.cw = SpatialGate(kernel_size, norm_cfg)
        self.hc = SpatialGate(kernel_size, norm_cfg)
        if spatial:
            self.hw = SpatialGate(kernel_size, norm_cfg)

    def forward(self, x: Tensor) -> Tensor:
        # Pools over H: N×2×C×W; the gate comes back as N×C×1×W.
        over_h = torch.stack([x.amax(2), x.mean(2)], 1)
        gates = self.cw(over_h).sigmoid().transpose(1, 2)
        # Pools over W: N×2×H×C; the gate comes back as N×C×H×1.
        over_w = torch.stack([x.amax(3), x.mean(3)], 1).transpose(2, 3)
        gates = gates + self.hc(over_w).sigmoid().permute(0, 3, 2, 1)
        if not self.spatial:
            return x * (gates / 2)
        # Pools over C: N×2×H×W; the gate is N×1×H×W.
        return x * ((gates + self.hw(z_pool(x)).sigmoid()) / 3)
