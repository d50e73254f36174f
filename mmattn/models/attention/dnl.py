"""Disentangled non-local (DNL) block, without an HW×HW matrix.

Paper: Disentangled Non-Local Neural Networks, Yin et al. 2020 (ECCV),
https://arxiv.org/abs/2006.06668.
Code consulted: https://github.com/yinmh17/DNL-Semantic-Segmentation
(``model/seg/ops/nonlocal_block.py``) and mmseg's ``DisentangledNonLocal2d``
(``mmseg/models/decode_heads/dnl_head.py``), whose layout this block keeps.
"""
from typing import Optional

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import constant_init, normal_init
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int, reduced_channels
from ._sdpa import softmax_attention, tokens
from .base import AttentionBlock, Paper


@MODELS.register_module()
class DNL(AttentionBlock):
    """DNL block: ``x + W_z · (Σ_j softmax_j((q_i - μ_q)ᵀ(k_j - μ_k) / τ)
    g_j + Σ_j softmax_j(m_j) g_j)``.

    The whitened pairwise term: queries θ(x) and keys φ(x) minus their
    means over the positions, logits scaled by ``1 / (√C' · τ)``; the
    unary term: a softmax over the positions of the 1×1 conv
    ``conv_mask`` (one logit per pixel), the same context vector for every
    pixel. Both weigh the same values g(x). The pairwise term runs on
    ``scaled_dot_product_attention``
    (:func:`~mmattn.models.attention._sdpa.softmax_attention`), so the
    HW×HW matrix is never built.

    Names and layout are mmseg's ``DisentangledNonLocal2d`` (``g``,
    ``theta``, ``phi``, ``conv_out``: ``ConvModule``; ``conv_mask``), so its
    state dicts load unchanged and give its output; its
    ``embedded_gaussian`` mode is the paper's and the only one here. The
    authors' code also scales the pairwise term by a learned γ (zero at
    init) and has no norm after ``conv_out``; this block follows mmseg.
    ``conv_out`` (or its norm, with ``norm_cfg``) starts at zero, so the
    block starts as the identity; θ, φ, g and ``conv_mask`` start as
    N(0, 0.01) (mmcv's init, and the authors' for ``conv_mask``, which
    mmseg leaves at PyTorch's default).

    Args:
        in_channels (int): Channels of the input.
        reduction (int): ``C' = in_channels // reduction`` for θ, φ, g.
            Defaults to 2.
        use_scale (bool): Divide the pairwise logits by ``√C'``. Defaults
            to True.
        temperature (float): τ. Defaults to 0.05 (mmseg's ``DNLHead``).
        norm_cfg (dict, optional): Norm after ``conv_out``. Defaults to
            None.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> import torch
        >>> dnl = DNL(16)
        >>> dnl(torch.randn(2, 16, 9, 7)).shape
        torch.Size([2, 16, 9, 7])
    """
    paper = Paper(
        title='Disentangled Non-Local Neural Networks',
        url='https://arxiv.org/abs/2006.06668',
        year=2020,
        family='self-attention',
        code='https://github.com/yinmh17/DNL-Semantic-Segmentation')
    identity_at_init = True
    _abbr_ = 'dnl_block'

    def __init__(self,
                 in_channels: int,
                 reduction: int = 2,
                 use_scale: bool = True,
                 temperature: float = 0.05,
                 norm_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        if isinstance(temperature, bool) or \
                not isinstance(temperature, (int, float)) or temperature <= 0:
            raise ValueError(f'temperature must be a positive number, '
                             f'got {temperature!r}')
        self.inter_channels = inter = reduced_channels(
            in_channels, positive_int(reduction, 'reduction'))
        self.use_scale = use_scale
        self.temperature = temperature
        self.g = ConvModule(in_channels, inter, 1, act_cfg=None)
        self.theta = ConvModule(in_channels, inter, 1, act_cfg=None)
        self.phi = ConvModule(in_channels, inter, 1, act_cfg=None)
        self.conv_out = ConvModule(
            inter, in_channels, 1, norm_cfg=norm_cfg, act_cfg=None)
        self.conv_mask = nn.Conv2d(in_channels, 1, 1)
        self.reset_parameters()

    def reset_parameters(self):
        for conv in (self.g.conv, self.theta.conv, self.phi.conv,
                     self.conv_mask):
            normal_init(conv, std=0.01)
        out = self.conv_out
        constant_init(out.norm if out.with_norm else out.conv, 0)

    def forward(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        values = tokens(self.g(x))  # N×HW×C'
        query, key = tokens(self.theta(x)), tokens(self.phi(x))
        query = query - query.mean(1, keepdim=True)
        key = key - key.mean(1, keepdim=True)
        scale = 1. / self.temperature
        if self.use_scale:
            scale = scale / self.inter_channels**0.5
        pairwise = softmax_attention(query, key, values, scale)  # N×HW×C'
        unary = self.conv_mask(x).flatten(2).softmax(-1) @ values  # N×1×C'
        y = (pairwise + unary).transpose(1, 2).reshape(n, -1, h, w)
        return x + self.conv_out(y)
