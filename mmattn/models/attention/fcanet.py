"""Frequency channel attention (multi-spectral DCT pooling).

Paper: `FcaNet: Frequency Channel Attention Networks`, Qin et al., ICCV 2021,
https://arxiv.org/abs/2012.11879

Official code: https://github.com/cfzd/FcaNet (``model/layer.py``, and
``mmdetection/mmdet/models/backbones/freqnet.py`` for detection).
"""
import math

import torch

from mmattn.registry import MODELS
from ..utils import positive_pair, reduced_channels
from ._gates import ChannelMLP, adaptive_avg_pool2d
from .base import AttentionBlock, Paper

# Frequency indices (u, v) in a 7×7 DCT, ranked by the paper's single-
# frequency ImageNet study; 'low' is the zig-zag order, 'bot' the worst.
_FREQS = dict(
    top=([0, 0, 6, 0, 0, 1, 1, 4, 5, 1, 3, 0, 0, 0, 3, 2,
          4, 6, 3, 5, 5, 2, 6, 5, 5, 3, 3, 4, 2, 2, 6, 1],
         [0, 1, 0, 5, 2, 0, 2, 0, 0, 6, 0, 4, 6, 3, 5, 2,
          6, 3, 3, 3, 5, 1, 1, 2, 4, 2, 1, 1, 3, 0, 5, 3]),
    low=([0, 0, 1, 1, 0, 2, 2, 1, 2, 0, 3, 4, 0, 1, 3, 0,
          1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4],
         [0, 1, 0, 1, 2, 0, 1, 2, 2, 3, 0, 0, 4, 3, 1, 5,
          4, 3, 2, 1, 0, 6, 5, 4, 3, 2, 1, 0, 6, 5, 4, 3]),
    bot=([6, 1, 3, 3, 2, 4, 1, 2, 4, 4, 5, 1, 4, 6, 2, 5,
          6, 1, 6, 2, 2, 4, 3, 3, 5, 5, 6, 2, 5, 5, 3, 6],
         [6, 4, 4, 6, 6, 3, 1, 4, 4, 5, 6, 5, 2, 2, 5, 1,
          4, 3, 5, 0, 3, 1, 1, 2, 4, 2, 1, 1, 5, 3, 3, 3]))
FREQ_METHODS = tuple(f'{kind}{n}' for kind in _FREQS
                     for n in (1, 2, 4, 8, 16, 32))


def dct_basis(pos, freq, length):
    """Orthonormal DCT-II basis value: ``cos(pi f (p + 1/2) / L) / sqrt(L)``,
    times ``sqrt(2)`` for ``f > 0``."""
    value = math.cos(math.pi * freq * (pos + 0.5) / length) / math.sqrt(length)
    return value if freq == 0 else value * math.sqrt(2)


def dct_filters(channels, size, freq_sel_method='top16'):
    """C×h×w DCT filters: channel group ``i`` (of ``len(freqs)`` equal
    groups) gets the 2-d basis of frequency ``i``; frequencies are given on a
    7×7 grid and scaled by ``h // 7`` and ``w // 7`` as in the official
    code."""
    h, w = size
    kind, num = freq_sel_method[:3], int(freq_sel_method[3:])
    freqs_u = [u * (h // 7) for u in _FREQS[kind][0][:num]]
    freqs_v = [v * (w // 7) for v in _FREQS[kind][1][:num]]
    part = channels // num
    filters = torch.zeros(channels, h, w)
    for i, (u, v) in enumerate(zip(freqs_u, freqs_v)):
        basis_u = torch.tensor([dct_basis(p, u, h) for p in range(h)])
        basis_v = torch.tensor([dct_basis(p, v, w) for p in range(w)])
        filters[i * part:(i + 1) * part] = basis_u[:, None] * basis_v[None]
    return filters


@MODELS.register_module()
class FcaNet(AttentionBlock):
    """Multi-spectral channel attention: DCT pooling -> FC -> ReLU -> FC ->
    sigmoid.

    The C channels are split into ``k`` groups (``'top16'``: the 16 best
    frequencies of the paper's study) and each group is pooled with the 2-d
    DCT basis of its frequency (group 0 with frequency (0, 0), i.e. a scaled
    GAP). The filters are fixed, precomputed buffers; they are derived from
    the arguments, so they are not saved in checkpoints (``persistent=False``;
    drop the official ``dct_layer.weight`` key when converting). The FCs have
    no bias, as in the official code.

    Any input size works: a map that is not ``dct_size`` is first average
    pooled to it (adaptively), as the official detection code does. That code
    uses ``dct_size`` 56, 28, 14, 7 for the four ResNet stages (the ImageNet
    resolutions) and pools the detection maps down to them; the default 7
    pools every stage to 7×7, which is much cheaper and matches the official
    layer-4 setting. Set ``dct_size`` per stage to reproduce the official
    detection models.

    Args:
        in_channels (int): Channels of the input; a multiple of the number
            of frequencies.
        ratio (float | int): Bottleneck width of the FC layers.
            Defaults to 1/16 (the paper's reduction 16).
        dct_size (int | tuple[int, int]): Size of the DCT filters; multiples
            of 7. Defaults to 7.
        freq_sel_method (str): ``'top'``, ``'low'`` or ``'bot'`` followed by
            1, 2, 4, 8, 16 or 32 frequencies. Defaults to ``'top16'``.
        act_cfg (dict): Activation of the bottleneck.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Example:
        >>> import torch
        >>> block = FcaNet(64)
        >>> block(torch.rand(2, 64, 13, 9)).shape
        torch.Size([2, 64, 13, 9])
    """
    paper = Paper(
        title='FcaNet: Frequency Channel Attention Networks',
        url='https://arxiv.org/abs/2012.11879',
        year=2021,
        family='channel',
        code='https://github.com/cfzd/FcaNet',
        reported='Mask R-CNN FcaNet-50 1x (mmdet): 40.3 box / 36.2 mask AP; '
        'Faster R-CNN FcaNet-50: 39.0 AP (official README)')
    _abbr_ = 'fca'

    def __init__(self,
                 in_channels,
                 ratio=1 / 16,
                 dct_size=7,
                 freq_sel_method='top16',
                 act_cfg=dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        if freq_sel_method not in FREQ_METHODS:
            raise ValueError(f'freq_sel_method must be one of '
                             f'{FREQ_METHODS}, got {freq_sel_method!r}')
        num_freqs = int(freq_sel_method[3:])
        hidden = reduced_channels(in_channels, ratio)
        if in_channels % num_freqs:
            raise ValueError(f'in_channels={in_channels} must be a multiple '
                             f'of the {num_freqs} frequencies of '
                             f'freq_sel_method={freq_sel_method!r}')
        dct_size = positive_pair(dct_size, 'dct_size')
        if any(s % 7 for s in dct_size):
            raise ValueError(f'dct_size must be a multiple of 7 (or a pair '
                             f'of them), got {dct_size!r}')
        self.dct_size = dct_size
        self.register_buffer(
            'dct_filter',
            dct_filters(in_channels, dct_size, freq_sel_method),
            persistent=False)
        self.fc = ChannelMLP(in_channels, hidden, act_cfg=act_cfg, bias=False)

    def forward(self, x):
        pooled = x
        if tuple(x.shape[2:]) != self.dct_size:
            pooled = adaptive_avg_pool2d(x, self.dct_size)
        y = (pooled * self.dct_filter).sum((2, 3), keepdim=True)
        return x * self.fc(y).sigmoid()
