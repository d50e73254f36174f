"""Asymmetric non-local blocks of ANN: APNB and AFNB.

Paper: Asymmetric Non-local Neural Networks for Semantic Segmentation, Zhu
et al. 2019 (ICCV), https://arxiv.org/abs/1908.07678.
Code consulted: https://github.com/MendelXu/ANN (``models/seg/utils/apnb.py``,
``afnb.py``) and mmseg's ``ANNHead`` (``decode_heads/ann_head.py``).
"""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int, reduced_channels
from ._gates import adaptive_avg_pool2d_matmul
from ._sdpa import softmax_attention, tokens
from .base import AttentionBlock, Paper

PAPER = Paper(
    title='Asymmetric Non-local Neural Networks for Semantic Segmentation',
    url='https://arxiv.org/abs/1908.07678',
    year=2019,
    family='self-attention',
    code='https://github.com/MendelXu/ANN',
    reported='Cityscapes test 81.3 mIoU, ADE20K val 45.24 mIoU '
    '(ResNet-101, AFNB + APNB); at a 256×128 input APNB is ~6× faster than '
    'a non-local block on GPU with 28× less GPU memory')


def pyramid_pool(x: Tensor, scales: Sequence[int]) -> Tensor:
    """``AdaptiveAvgPool2d(s)`` for each scale, flattened and concatenated:
    N×C×H×W -> N×C×Σs².

    Written as ``P_h @ x @ P_wᵀ`` with the pooling matrices, which exports
    to ONNX for any H, W (``AdaptiveAvgPool2d`` exports only when the
    output size divides the input size).
    """
    return torch.cat([adaptive_avg_pool2d_matmul(x, (s, s)).flatten(2)
                      for s in scales], dim=2)


class _PyramidAttention(AttentionBlock):
    """Shared part: queries from ``x``; keys and values from the pyramid
    pooled ``low`` (S = Σs² positions, 110 for (1, 3, 6, 8)); scaled
    dot-product attention; ``out_project`` (zero-initialised, as the
    official ``W``) back to ``in_channels``."""
    paper = PAPER

    def __init__(self, in_channels, low_channels, ratio, pool_scales,
                 share_key_query, norm_cfg, act_cfg, init_cfg):
        super().__init__(in_channels, init_cfg)
        if not pool_scales:
            raise ValueError(f'pool_scales must hold one or more scales, '
                             f'got {pool_scales!r}')
        self.pool_scales = tuple(
            positive_int(s, f'pool_scales[{i}]')
            for i, s in enumerate(pool_scales))
        self.channels = reduced_channels(in_channels, ratio)
        low_channels = low_channels or in_channels
        self.key_project = ConvModule(
            low_channels, self.channels, 1, norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.query_project = self.key_project if share_key_query else \
            ConvModule(in_channels, self.channels, 1, norm_cfg=norm_cfg,
                       act_cfg=act_cfg)
        self.value_project = nn.Conv2d(low_channels, self.channels, 1)
        self.out_project = nn.Conv2d(self.channels, in_channels, 1)
        self.reset_parameters()

    def reset_parameters(self):
        """The official ``W``: ``out_project`` at zero."""
        nn.init.zeros_(self.out_project.weight)
        nn.init.zeros_(self.out_project.bias)

    def context(self, x: Tensor, low: Tensor) -> Tensor:
        """N×C×H×W queries, N×C_low×H'×W' keys -> N×C×H×W context."""
        n, _, h, w = x.shape
        query = tokens(self.query_project(x))  # N×HW×C'
        key = pyramid_pool(self.key_project(low), self.pool_scales)
        value = pyramid_pool(self.value_project(low), self.pool_scales)
        out = softmax_attention(query, key.transpose(1, 2),
                                value.transpose(1, 2), self.channels**-0.5)
        return self.out_project(out.transpose(1, 2).reshape(n, -1, h, w))


@MODELS.register_module()
class APNB(_PyramidAttention):
    """Asymmetric Pyramid Non-local Block.

    A non-local block whose keys and values are pyramid-pooled to
    ``Σ s²`` positions (110 for scales 1, 3, 6, 8), so it costs
    O(HW·110) instead of O(HW²). Keys and queries share one projection
    (1×1 conv + norm + ReLU), as in the official code. The context is
    concatenated with the input and fused by a 1×1 conv + norm + ReLU
    (+ ``Dropout2d``), as the official ``conv_bn_dropout``; the block
    therefore does not start as the identity, although its attention
    output (``out_project``) starts at zero.

    The official code supports several query scales (``sizes``) but only
    uses 1 (larger ones break its own shapes); this block has one.

    Args:
        in_channels (int): Channels of the input (and output).
        ratio (float | int): Key/value width as a fraction of
            ``in_channels`` (or an int reduction). Defaults to 1/2 (256 for
            512, the official setting).
        pool_scales (Sequence[int]): Output sizes of the key pyramid.
            Defaults to (1, 3, 6, 8).
        dropout (float): ``Dropout2d`` after the fusion. Defaults to 0.05.
        norm_cfg (dict): Norm of the projections and the fusion.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation of the same. Defaults to
            ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> apnb = APNB(32)
        >>> apnb(torch.randn(2, 32, 13, 11)).shape
        torch.Size([2, 32, 13, 11])
    """
    _abbr_ = 'apnb'

    def __init__(self,
                 in_channels: int,
                 ratio: Union[float, int] = 1 / 2,
                 pool_scales: Sequence[int] = (1, 3, 6, 8),
                 dropout: float = 0.05,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, None, ratio, pool_scales, True,
                         norm_cfg, act_cfg, init_cfg)
        self.fuse = ConvModule(
            2 * in_channels, in_channels, 1, norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.dropout = nn.Dropout2d(dropout)

    def forward(self, x: Tensor) -> Tensor:
        out = self.fuse(torch.cat([self.context(x, x), x], dim=1))
        return self.dropout(out)


@MODELS.register_module()
class AFNB(_PyramidAttention):
    """Asymmetric Fusion Non-local Block: queries from a high-level map,
    keys and values from a pyramid-pooled lower-level map.

    ``afnb(high, low)``: ``high`` (N×C×H×W, e.g. res5) gives the queries and
    the output size; ``low`` (N×C_low×H'×W', e.g. res4) gives the keys and
    values. Because they are pyramid-pooled, ``low`` may have any spatial
    size. Output: 1×1 conv + norm over ``[context, high]`` (+
    ``Dropout2d``), no activation, as the official ``conv_bn_dropout``.

    Called with one input, ``afnb(x)`` fuses ``x`` with itself: the plug-in
    contract (``N×C×H×W -> N×C×H×W``) holds, and it is APNB with separate
    key and query projections and no final activation. The fusion the paper
    means needs two levels, which a backbone plug-in cannot see. Use it:

    - in a decode head: mmseg's ``ANNHead`` is ``AFNB(res4 -> res5)`` then
      ``APNB``; :class:`~mmattn.models.heads.AttentionHead` passes a second
      backbone level with ``low_index`` (``low_index=2``,
      ``block=dict(type='mmattn.AFNB', low_channels=1024)`` fuses res4
      into res5);
    - in a neck: :class:`~mmattn.models.necks.AttentionNeck` passes
      ``low_levels[i]`` as ``low`` (e.g. ``levels=(3, )``,
      ``low_levels=(2, )``: C4 into C5) and fills in ``low_channels``.

    Args:
        in_channels (int): Channels of ``high`` (and of the output).
        low_channels (int, optional): Channels of ``low``. Defaults to
            ``in_channels``.
        ratio (float | int): Key/value width as a fraction of
            ``in_channels`` (or an int reduction). Defaults to 1/8 (256 for
            2048, the official setting).
        pool_scales (Sequence[int]): Output sizes of the key pyramid.
            Defaults to (1, 3, 6, 8).
        dropout (float): ``Dropout2d`` after the fusion. Defaults to 0.05.
        norm_cfg (dict): Norm of the projections and the fusion.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation of the projections. Defaults to
            ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> afnb = AFNB(64, low_channels=32)
        >>> afnb(torch.randn(2, 64, 9, 9), torch.randn(2, 32, 17, 17)).shape
        torch.Size([2, 64, 9, 9])
    """
    _abbr_ = 'afnb'

    def __init__(self,
                 in_channels: int,
                 low_channels: Optional[int] = None,
                 ratio: Union[float, int] = 1 / 8,
                 pool_scales: Sequence[int] = (1, 3, 6, 8),
                 dropout: float = 0.05,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, low_channels, ratio, pool_scales, False,
                         norm_cfg, act_cfg, init_cfg)
        self.fuse = ConvModule(
            2 * in_channels, in_channels, 1, norm_cfg=norm_cfg, act_cfg=None)
        self.dropout = nn.Dropout2d(dropout)

    def forward(self, x: Tensor, low: Optional[Tensor] = None) -> Tensor:
        context = self.context(x, x if low is None else low)
        return self.dropout(self.fuse(torch.cat([context, x], dim=1)))
