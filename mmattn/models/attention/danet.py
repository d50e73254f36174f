"""Position (PAM) and channel (CAM) attention of DANet, and both together.

Paper: Dual Attention Network for Scene Segmentation, Fu et al. 2019 (CVPR),
https://arxiv.org/abs/1809.02983.
Code consulted: https://github.com/junfu1115/DANet (``encoding/nn/da_att.py``,
``PAM_Module``, ``CAM_Module``) and mmseg's ``DAHead``
(``decode_heads/da_head.py``).
"""
from dataclasses import replace
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int
from ._sdpa import softmax_attention, tokens
from .base import AttentionBlock, Paper

PAPER = Paper(
    title='Dual Attention Network for Scene Segmentation',
    url='https://arxiv.org/abs/1809.02983',
    year=2019,
    family='channel-spatial',
    code='https://github.com/junfu1115/DANet',
    reported='Cityscapes val, dilated FCN ResNet-50: 70.03 -> 75.74 (PAM), '
    '74.28 (CAM), 76.34 mIoU (PAM + CAM)')


class _Residual(AttentionBlock):
    """``x + gamma · attend(x)`` with ``gamma`` (the official name) starting
    at 0: identity at init."""
    paper = PAPER
    identity_at_init = True

    def reset_parameters(self):
        """``gamma`` at zero: the block starts as the identity."""
        nn.init.zeros_(self.gamma)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.gamma * self.attend(x)


@MODELS.register_module()
class PAM(_Residual):
    """Position attention module: ``x + γ · V softmax(QᵀK)ᵀ`` over all H·W
    positions (SAGAN-style: unscaled logits, 1×1 convs, Q and K at
    ``in_channels // reduction``).

    The weights ``softmax(QᵀK)`` are an HW×HW matrix; here it is never
    built, in the forward nor the backward pass: the product runs on
    ``scaled_dot_product_attention``
    (:func:`~mmattn.models.attention._sdpa.softmax_attention`), which
    streams over the keys. Its fused kernel needs equal widths, so V is cut
    into heads of the Q and K width that all share Q and K. Names are the
    official ones (``query_conv``, ``key_conv``, ``value_conv``, ``gamma``).

    Args:
        in_channels (int): Channels of the input.
        reduction (int): Query/key width ``in_channels // reduction``.
            Defaults to 8.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> pam = PAM(32)
        >>> pam(torch.randn(2, 32, 9, 7)).shape
        torch.Size([2, 32, 9, 7])
    """
    _abbr_ = 'pam'

    def __init__(self,
                 in_channels: int,
                 reduction: int = 8,
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        if positive_int(reduction, 'reduction') > in_channels:
            raise ValueError(f'reduction must be at most in_channels='
                             f'{in_channels}, got {reduction!r}')
        qk_channels = in_channels // reduction
        self.query_conv = nn.Conv2d(in_channels, qk_channels, 1)
        self.key_conv = nn.Conv2d(in_channels, qk_channels, 1)
        self.value_conv = nn.Conv2d(in_channels, in_channels, 1)
        self.gamma = nn.Parameter(torch.empty(1))
        self.reset_parameters()

    def attend(self, x: Tensor) -> Tensor:
        """The attention term, without γ and the residual."""
        n, c, h, w = x.shape
        out = softmax_attention(
            tokens(self.query_conv(x)), tokens(self.key_conv(x)),
            tokens(self.value_conv(x)), scale=1.)
        return out.transpose(1, 2).reshape(n, c, h, w)


@MODELS.register_module()
class CAM(_Residual):
    """Channel attention module: ``x + γ · softmax(max(XXᵀ) - XXᵀ) X``.

    The C×C affinity of the channels, computed on the input itself (no
    projections). The official code subtracts the affinity from its row
    maximum before the softmax; the softmax is invariant to the row shift,
    so this is ``softmax(-XXᵀ)``, computed as such. Parameter: ``gamma``.

    Args:
        in_channels (int): Channels of the input.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> cam = CAM(32)
        >>> cam(torch.randn(2, 32, 9, 7)).shape
        torch.Size([2, 32, 9, 7])
    """
    paper = replace(PAPER, family='channel')
    _abbr_ = 'cam'

    def __init__(self, in_channels: int, init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        self.gamma = nn.Parameter(torch.empty(1))
        self.reset_parameters()

    def attend(self, x: Tensor) -> Tensor:
        """The attention term, without γ and the residual."""
        feats = x.flatten(2)  # N×C×HW
        energy = feats @ feats.transpose(1, 2)  # N×C×C
        return (torch.softmax(-energy, dim=-1) @ feats).view_as(x)


@MODELS.register_module()
class DANet(_Residual):
    """PAM and CAM in parallel: ``x + γ_p · PAM(x) + γ_c · CAM(x)``.

    The DANet head runs each module in its own branch (3×3 conv before and
    after) and sums the two branches. As a plug-in block without those
    convs, the two attention terms are summed on one residual, which is
    ``pam(x) + cam(x) - x``; it starts as the identity. Submodules ``pam``
    and ``cam`` keep their names, so weights of the separate modules load
    under those prefixes.

    Args:
        in_channels (int): Channels of the input.
        reduction (int): PAM's query/key reduction. Defaults to 8.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> da = DANet(32)
        >>> da(torch.randn(2, 32, 9, 7)).shape
        torch.Size([2, 32, 9, 7])
    """
    _abbr_ = 'danet'

    def __init__(self,
                 in_channels: int,
                 reduction: int = 8,
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        self.pam = PAM(in_channels, reduction)
        self.cam = CAM(in_channels)

    def reset_parameters(self):
        """Both ``gamma`` at zero: the block starts as the identity."""
        self.pam.reset_parameters()
        self.cam.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        return (x + self.pam.gamma * self.pam.attend(x) +
                self.cam.gamma * self.cam.attend(x))
