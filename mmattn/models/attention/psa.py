"""Point-wise spatial attention (PSANet): collect and distribute.

Paper: PSANet: Point-wise Spatial Attention Network for Scene Parsing,
Zhao et al. ECCV 2018, https://hszhao.github.io/papers/eccv18_psanet.pdf.
Official code consulted: https://github.com/hszhao/semseg (``model/psanet.py``,
``lib/psa``), and mmseg's ``PSAHead`` with mmcv's ``PSAMask`` op.
"""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int, positive_pair, reduced_channels
from .base import AttentionBlock, Paper


def psa_mask(mask: Tensor, mask_size: Sequence[int], mode: str) -> Tensor:
    """mmcv's ``PSAMask`` in plain PyTorch: over-complete masks -> an
    attention matrix.

    Each position ``p`` predicts ``mask_h × mask_w`` weights for the
    positions around it (the mask's centre is ``p``). ``collect`` places
    them as ``A[q, p]`` (how much ``p`` takes from ``q``), ``distribute`` as
    ``A[p, q]`` (how much ``p`` gives to ``q``); positions outside a mask
    get 0, as in mmcv and the official op.

    Args:
        mask (Tensor): ``(N, mask_h·mask_w, H, W)``.
        mask_size (tuple[int]): ``(mask_h, mask_w)``.
        mode (str): ``'collect'`` or ``'distribute'``.

    Returns:
        Tensor: ``(N, H·W, H·W)``, to be used as ``x @ A`` with
        ``x: (N, C, H·W)``.
    """
    n, _, h, w = mask.shape
    mask_h, mask_w = mask_size
    # offset of q from p, shifted to the mask's index: (p, q) pairs
    dy = torch.arange(h, device=mask.device)
    dx = torch.arange(w, device=mask.device)
    dy = dy.view(1, h) - dy.view(h, 1) + (mask_h - 1) // 2
    dx = dx.view(1, w) - dx.view(w, 1) + (mask_w - 1) // 2
    inside = ((dy >= 0) & (dy < mask_h))[:, None, :, None] \
        & ((dx >= 0) & (dx < mask_w))[None, :, None, :]
    index = dy[:, None, :, None] * mask_w + dx[None, :, None, :]
    index = torch.where(inside, index, mask_h * mask_w)  # a zero row
    index = index.view(h * w, h * w).t()  # [q, p]
    padded = torch.cat([mask.flatten(2), mask.new_zeros(n, 1, h * w)], 1)
    attn = torch.gather(padded, 1, index.expand(n, -1, -1))  # [q, p]
    return attn if mode == 'collect' else attn.transpose(1, 2)


@MODELS.register_module()
class PSA(AttentionBlock):
    """Point-wise spatial attention with collect and distribute branches.

    Module for module the official ``PSA`` (and mmseg's ``PSAHead``): per
    branch a 1×1 ``reduce`` to ``ratio·C`` channels, bilinear shrink by
    ``shrink_factor`` (align_corners=True), an ``attention`` net predicting
    ``mask_h·mask_w`` weights per position, :func:`psa_mask`, a softmax over
    the source positions and ``x @ A / normalization_factor``; the branches
    are concatenated, projected back to C (``proj``), resized to the input
    size and concatenated with the input. The official module returns that
    2C concatenation and its head follows with a 3×3 conv; to keep
    N×C×H×W this block ends with that 3×3 conv (``bottleneck``, 2C -> C),
    as mmseg's ``PSAHead`` does (to its ``channels``).

    **Any feature size.** The over-complete masks cover ``mask_size``
    positions around each pixel. The paper sets the mask to
    ``(2H-1)×(2W-1)`` of the shrunk training crop so that every pixel sees
    the whole map; for a larger map, positions beyond half the mask from a
    pixel get weight 0 before the softmax, exactly as mmcv's ``PSAMask``
    does. The default (63, 63) covers the whole map up to 32×32 after
    shrinking, e.g. a 512×512 crop at stride 8 with ``shrink_factor=2``
    (the official rule ``2·((crop-1)//(8·shrink)+1)-1``). The shrunk size is
    ``(H-1)//shrink+1`` for any H (official), and the result is resized back
    to exactly H×W (the official ``(h-1)·shrink+1`` is H only for odd H).
    The ``compact`` option of the official code ties the conv to one input
    size and is not offered. mmseg 1.2.2's ``PSAHead`` gives its 1×1
    ``proj`` ``padding=1``, so its output grows by a border of bias-only
    pixels that the final resize smears in; the official ``proj`` has no
    padding, nor has this one.

    Args:
        in_channels (int): Input channels.
        ratio (float | int): Width of each branch, a float in (0, 1] or an
            int reduction. Defaults to 0.25 (512 of 2048, the paper's).
        mask_size (int | tuple[int]): ``(mask_h, mask_w)``. Defaults to
            (63, 63).
        psa_type (str): ``'bi-direction'``, ``'collect'`` or
            ``'distribute'``. Defaults to ``'bi-direction'``.
        shrink_factor (int): Spatial shrink before the attention.
            Defaults to 2.
        normalization_factor (float, optional): Divides the attended
            features; None uses ``mask_h·mask_w``. Defaults to 1.0.
        psa_softmax (bool): Softmax over the source positions. Defaults to
            True.
        norm_cfg (dict): Norm of the conv modules. Defaults to
            ``dict(type='BN')``.
        act_cfg (dict): Activation of the conv modules. Defaults to
            ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> psa = PSA(32, mask_size=9)
        >>> psa(torch.randn(2, 32, 10, 7)).shape
        torch.Size([2, 32, 10, 7])
    """
    paper = Paper(
        title='PSANet: Point-wise Spatial Attention Network for Scene '
        'Parsing',
        url='https://hszhao.github.io/papers/eccv18_psanet.pdf',
        year=2018,
        family='self-attention',
        code='https://github.com/hszhao/semseg',
        reported='PSANet (dilated ResNet-101) ADE20K val 43.77 mIoU; '
        'mmseg PSANet R-50-D8 512x512 ADE20K: 41.14 (80k) / 41.67 (160k) '
        'mIoU')
    _abbr_ = 'psa'
    psa_types = ('bi-direction', 'collect', 'distribute')

    def __init__(self,
                 in_channels: int,
                 ratio: Union[float, int] = 0.25,
                 mask_size: Union[int, Sequence[int]] = (63, 63),
                 psa_type: str = 'bi-direction',
                 shrink_factor: int = 2,
                 normalization_factor: Optional[float] = 1.0,
                 psa_softmax: bool = True,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        channels = reduced_channels(in_channels, ratio)
        self.mask_size = positive_pair(mask_size, 'mask_size')
        if psa_type not in self.psa_types:
            raise ValueError(f'psa_type must be one of {self.psa_types}, '
                             f'got {psa_type!r}')
        positive_int(shrink_factor, 'shrink_factor')
        mask_area = self.mask_size[0] * self.mask_size[1]
        self.channels = channels
        self.psa_type, self.shrink_factor = psa_type, shrink_factor
        self.psa_softmax = psa_softmax
        self.normalization_factor = normalization_factor or mask_area
        conv = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)

        def branch():
            reduce = ConvModule(in_channels, channels, 1, **conv)
            attention = nn.Sequential(
                ConvModule(channels, channels, 1, **conv),
                nn.Conv2d(channels, mask_area, 1, bias=False))
            return reduce, attention

        modes = ['collect', 'distribute'] if psa_type == 'bi-direction' \
            else [psa_type]
        self.modes = modes
        self.reduce, self.attention = branch()
        if len(modes) == 2:
            self.reduce_p, self.attention_p = branch()
        self.proj = ConvModule(channels * len(modes), in_channels, 1, **conv)
        self.bottleneck = ConvModule(2 * in_channels, in_channels, 3,
                                     padding=1, **conv)

    def _attend(self, x: Tensor, reduce: nn.Module, attention: nn.Module,
                mode: str, size) -> Tensor:
        x = reduce(x)
        if self.shrink_factor != 1:
            x = F.interpolate(x, size=size, mode='bilinear',
                              align_corners=True)
        attn = psa_mask(attention(x), self.mask_size, mode)
        if self.psa_softmax:
            attn = attn.softmax(dim=1)
        n, c, h, w = x.shape
        out = torch.bmm(x.view(n, c, h * w), attn.to(x.dtype))
        return out.view(n, c, h, w) / self.normalization_factor

    def forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[-2:]
        size = ((h - 1) // self.shrink_factor + 1,
                (w - 1) // self.shrink_factor + 1)
        outs = [self._attend(x, self.reduce, self.attention, self.modes[0],
                             size)]
        if len(self.modes) == 2:
            outs.append(self._attend(x, self.reduce_p, self.attention_p,
                                     'distribute', size))
        out = self.proj(torch.cat(outs, dim=1))
        if self.shrink_factor != 1:
            out = F.interpolate(out, size=(h, w), mode='bilinear',
                                align_corners=True)
        return self.bottleneck(torch.cat([x, out], dim=1))
