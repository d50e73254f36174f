"""Double attention (A²) block: gather global descriptors, then distribute.

Paper: A²-Nets: Double Attention Networks, Chen et al. 2018 (NeurIPS),
https://arxiv.org/abs/1810.11579.
Code: the authors released none; this follows the paper's equations and
Fig. 2 (1×1 convs for A, B, V, softmax of B over positions, of V over the
descriptors, a 1×1 conv back to the input width, a residual sum).
"""
from typing import Optional, Union

import torch.nn as nn
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int, reduced_channels
from .base import AttentionBlock, Paper


@MODELS.register_module()
class DoubleAttention(AttentionBlock):
    """A² block: ``x + conv_out(G · softmax_n(V))``, with
    ``G = A · softmax_hw(B)ᵀ``.

    Step 1, feature gathering: ``n`` attention maps ``softmax_hw(B)`` pool
    the ``m``-channel features ``A`` into ``n`` global descriptors
    ``G`` (m×n, second-order attention pooling). Step 2, feature
    distribution: each position mixes the descriptors with its own
    attention vector ``softmax_n(V_i)``. The product is evaluated in this
    order, O(HW·m·n), never forming the HW×HW matrix that the
    reassociated form ``A · (softmax(B)ᵀ softmax(V))`` would.

    The paper does not zero-initialise anything, so neither does this block:
    ``conv_out`` keeps PyTorch's default init and the block does not start
    as the identity. It fixes no widths for 2D backbones either; the
    defaults ``m = n = C / 4`` are the common choice of reimplementations.

    Args:
        in_channels (int): Channels of the input.
        ratio (float | int): Width ``m`` of the gathered features ``A``, as
            a fraction of ``in_channels`` (or an int reduction).
            Defaults to 1/4.
        num_descriptors (int, optional): Number ``n`` of global descriptors
            (channels of ``B`` and ``V``). Defaults to ``m``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> import torch
        >>> a2 = DoubleAttention(32)
        >>> a2(torch.randn(2, 32, 7, 9)).shape
        torch.Size([2, 32, 7, 9])
    """
    paper = Paper(
        title='A^2-Nets: Double Attention Networks',
        url='https://arxiv.org/abs/1810.11579',
        year=2018,
        family='self-attention',
        code='',
        reported='')
    _abbr_ = 'double_attention'

    def __init__(self,
                 in_channels: int,
                 ratio: Union[float, int] = 1 / 4,
                 num_descriptors: Optional[int] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        mid = reduced_channels(in_channels, ratio)
        num_descriptors = mid if num_descriptors is None else positive_int(
            num_descriptors, 'num_descriptors')
        self.conv_a = nn.Conv2d(in_channels, mid, 1)
        self.conv_b = nn.Conv2d(in_channels, num_descriptors, 1)
        self.conv_v = nn.Conv2d(in_channels, num_descriptors, 1)
        self.conv_out = nn.Conv2d(mid, in_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        feats = self.conv_a(x).flatten(2)  # N×m×HW
        maps = self.conv_b(x).flatten(2).softmax(dim=-1)  # N×n×HW
        vectors = self.conv_v(x).flatten(2).softmax(dim=1)  # N×n×HW
        descriptors = feats @ maps.transpose(1, 2)  # N×m×n, gathered
        out = (descriptors @ vectors).view(n, -1, h, w)  # distributed
        return x + self.conv_out(out)
