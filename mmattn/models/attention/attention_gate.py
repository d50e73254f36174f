"""Additive attention gate of Attention U-Net.

Paper: `Attention U-Net: Learning Where to Look for the Pancreas`, Oktay et
al., MIDL 2018, https://arxiv.org/abs/1804.03999

Official code: https://github.com/ozan-oktay/Attention-Gated-Networks
(``models/layers/grid_attention_layer.py``: ``GridAttentionBlock2D``,
mode ``'concatenation'``).
"""
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import nn

from mmattn.registry import MODELS
from ..utils import positive_int, reduced_channels
from .base import AttentionBlock, Paper


@MODELS.register_module()
class AttentionGate(AttentionBlock):
    """Attention gate: ``W(x * up(sigmoid(psi(relu(theta(x) +
    up(phi(g)))))))``.

    As the official ``GridAttentionBlock2D`` (``'concatenation'`` mode):
    ``theta`` is a strided ``sub_sample`` × ``sub_sample`` conv of x (no
    bias) to the inter channels, ``phi`` a 1×1 conv (bias) of the gating
    signal g, bilinearly resized to theta's grid; after a ReLU, ``psi``
    (1×1 conv to one channel, bias) and a sigmoid give the attention map,
    bilinearly upsampled to x; the gated x goes through the output
    transform ``W`` (1×1 conv + BN).

    The gating signal ``g`` (any size, ``gating_channels`` channels) is
    optional: as a plug-in there is none, and the gate is computed from x
    itself (``g = x``, so ``gating_channels`` must equal ``in_channels``).

    Differences from the official code, for arbitrary inputs: an odd-sized
    x is zero-padded at the bottom / right to a multiple of ``sub_sample``
    before ``theta`` (the official strided conv drops the last row /
    column, and fails on a 1×1 map); resizing uses ``align_corners=False``
    (PyTorch's default since 0.4).

    Args:
        in_channels (int): Channels of x.
        gating_channels (int, optional): Channels of g. Defaults to
            ``in_channels``.
        ratio (float | int): Inter channels as a fraction (or divisor) of
            ``in_channels``, at least 1. Defaults to 1/2 (official).
        sub_sample (int): Stride (and kernel) of ``theta``. Defaults to 2.
        norm_cfg (dict): Norm of the output transform.
            Defaults to ``dict(type='BN')``.
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Example:
        >>> import torch
        >>> block = AttentionGate(64, gating_channels=128)
        >>> x, g = torch.rand(2, 64, 14, 18), torch.rand(2, 128, 7, 9)
        >>> block(x, g).shape
        torch.Size([2, 64, 14, 18])
        >>> block = AttentionGate(64)
        >>> block(x).shape
        torch.Size([2, 64, 14, 18])
    """
    paper = Paper(
        title='Attention U-Net: Learning Where to Look for the Pancreas',
        url='https://arxiv.org/abs/1804.03999',
        year=2018,
        family='spatial',
        code='https://github.com/ozan-oktay/Attention-Gated-Networks')
    _abbr_ = 'attention_gate'

    def __init__(self,
                 in_channels,
                 gating_channels=None,
                 ratio=1 / 2,
                 sub_sample=2,
                 norm_cfg=dict(type='BN'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        inter = reduced_channels(in_channels, ratio, min_channels=1)
        gating_channels = in_channels if gating_channels is None else \
            positive_int(gating_channels, 'gating_channels')
        self.sub_sample = positive_int(sub_sample, 'sub_sample')
        self.theta = nn.Conv2d(
            in_channels, inter, sub_sample, stride=sub_sample, bias=False)
        self.phi = nn.Conv2d(gating_channels, inter, 1)
        self.psi = nn.Conv2d(inter, 1, 1)
        self.out = nn.Sequential(
            nn.Conv2d(in_channels, in_channels, 1),
            build_norm_layer(norm_cfg, in_channels)[1])

    def forward(self, x, g=None):
        if g is None:
            if self.phi.in_channels != x.shape[1]:
                raise ValueError(
                    f'no gating signal g given, and gating_channels='
                    f'{self.phi.in_channels} differs from the input\'s '
                    f'{x.shape[1]} channels')
            g = x
        h, w = x.shape[2:]
        s = self.sub_sample
        theta_x = self.theta(F.pad(x, (0, -w % s, 0, -h % s)))
        phi_g = F.interpolate(
            self.phi(g), size=theta_x.shape[2:], mode='bilinear',
            align_corners=False)
        att = self.psi(F.relu(theta_x + phi_g)).sigmoid()
        att = F.interpolate(
            att, size=(h, w), mode='bilinear', align_corners=False)
        return self.out(x * att)
