"""Relation-aware global attention (RGA), spatial and channel.

Paper: Relation-Aware Global Attention for Person Re-identification,
Zhang et al. CVPR 2020, https://arxiv.org/abs/1904.02998.
Official code consulted:
https://github.com/microsoft/Relation-Aware-Global-Attention-Networks
(``reid/models/models_utils/rga_modules.py``, ``RGA_Module``).
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


@MODELS.register_module()
class RGA(AttentionBlock):
    """RGA-S then RGA-C: gates learned from each node's relations to all.

    **Spatial (RGA-S).** Every position is a node. The pairwise relations
    ``r_ij = θ(x_i)·φ(x_j)`` form an HW×HW matrix; at each position ``i``
    the vector ``[r_i·, r_·i]`` (2·HW values) is embedded by a 1×1 conv,
    stacked with the channel mean of an embedding of ``x_i``, and a small
    conv net turns it into one logit; ``sigmoid`` gives the spatial gate.
    **Channel (RGA-C)**, on the spatially gated map: the same with
    channels as nodes (C×C relations, each channel described by its HW
    values). Module for module the official ``RGA_Module`` (BN + ReLU after
    every 1×1 conv, a final BN before the sigmoid), with the hidden widths
    floored at 1 so that tiny maps do not give zero-width convs.

    **Sizes.** The relation vectors have 2·HW entries and the channel
    branch reads HW values per channel, so both branches hold convs built
    for one size, ``spatial_size``. An input of another size is handled by
    ``size_mismatch``:

    - ``'resize'`` (default): the gates are computed on the input resized
      (bilinear) to ``spatial_size``; the spatial gate's logits are resized
      back to H×W, the channel gate is per channel and applies as is. The
      gates are then those of a resampled map, which is what a fixed-size
      relation model can offer for other sizes (the official code only runs
      at its training size).
    - ``'error'``: a ``ValueError`` naming both sizes.

    **Precision.** The gates are computed in float32, also under autocast:
    a relation vector is 2·HW dot products over the channels, summed again
    by a 1×1 conv, and bf16's 8-bit mantissa flips gates whose logits reach
    the hundreds (they do with untrained BN statistics). The gated input
    keeps its dtype.

    Args:
        in_channels (int): Input channels.
        spatial_size (int | tuple[int]): (H, W) the relation convs are built
            for. Defaults to (16, 16).
        use_spatial (bool): Use RGA-S. Defaults to True.
        use_channel (bool): Use RGA-C. Defaults to True.
        reduction (int): Channel embedding width ``C // reduction``
            (official ``cha_ratio``). Defaults to 8.
        spatial_reduction (int): Spatial embedding width ``HW //
            spatial_reduction`` (official ``spa_ratio``). Defaults to 8.
        gate_reduction (int): Hidden width of the gate nets (official
            ``down_ratio``). Defaults to 8.
        size_mismatch (str): ``'resize'`` or ``'error'``. Defaults to
            ``'resize'``.
        norm_cfg (dict): Norm after each conv. Defaults to
            ``dict(type='BN')``.
        act_cfg (dict): Activation after each norm. Defaults to
            ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> rga = RGA(32, spatial_size=(8, 6))
        >>> rga(torch.randn(2, 32, 8, 6)).shape
        torch.Size([2, 32, 8, 6])
        >>> rga(torch.randn(2, 32, 13, 5)).shape  # resized for the gates
        torch.Size([2, 32, 13, 5])
    """
    paper = Paper(
        title='Relation-Aware Global Attention for Person '
        'Re-identification',
        url='https://arxiv.org/abs/1904.02998',
        year=2020,
        family='channel-spatial',
        code='https://github.com/microsoft/'
        'Relation-Aware-Global-Attention-Networks',
        reported='')
    _abbr_ = 'rga'
    size_policies = ('resize', 'error')

    def __init__(self,
                 in_channels: int,
                 spatial_size: Union[int, Sequence[int]] = (16, 16),
                 use_spatial: bool = True,
                 use_channel: bool = True,
                 reduction: int = 8,
                 spatial_reduction: int = 8,
                 gate_reduction: int = 8,
                 size_mismatch: str = 'resize',
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        self.spatial_size = positive_pair(spatial_size, 'spatial_size')
        if not (use_spatial or use_channel):
            raise ValueError('use_spatial and use_channel are both False: '
                             'RGA would do nothing')
        if size_mismatch not in self.size_policies:
            raise ValueError(f'size_mismatch must be one of '
                             f'{self.size_policies}, got {size_mismatch!r}')
        for name, value in (('reduction', reduction),
                            ('spatial_reduction', spatial_reduction),
                            ('gate_reduction', gate_reduction)):
            positive_int(value, name)
        num = self.spatial_size[0] * self.spatial_size[1]
        c_inter = reduced_channels(in_channels, reduction, min_channels=1)
        s_inter = reduced_channels(num, spatial_reduction, min_channels=1)
        self.size_mismatch = size_mismatch
        self.use_spatial, self.use_channel = use_spatial, use_channel

        def embed(cin, cout):
            return ConvModule(cin, cout, 1, bias=False, norm_cfg=norm_cfg,
                              act_cfg=act_cfg)

        def gate(cin):
            hidden = max(cin // gate_reduction, 1)
            return nn.Sequential(
                embed(cin, hidden),
                ConvModule(hidden, 1, 1, bias=False, norm_cfg=norm_cfg,
                           act_cfg=None))

        if use_spatial:  # nodes: positions, features: channels
            self.theta_spatial = embed(in_channels, c_inter)
            self.phi_spatial = embed(in_channels, c_inter)
            self.gx_spatial = embed(in_channels, c_inter)
            self.gg_spatial = embed(2 * num, s_inter)
            self.W_spatial = gate(1 + s_inter)
        if use_channel:  # nodes: channels, features: positions
            self.theta_channel = embed(num, s_inter)
            self.phi_channel = embed(num, s_inter)
            self.gx_channel = embed(num, s_inter)
            self.gg_channel = embed(2 * in_channels, c_inter)
            self.W_channel = gate(1 + c_inter)

    @staticmethod
    def _gate_logits(theta, phi, gx, gg, W, x: Tensor) -> Tensor:
        """One RGA branch on ``x: (N, F, M, 1)`` (F features of M nodes):
        relations ``[r_i·, r_·i]`` + mean feature embedding -> (N, 1, M, 1)
        logits. For RGA-S the M nodes are the H×W positions (kept 2-D)."""
        n = x.shape[0]
        rel = torch.matmul(theta(x).flatten(2).transpose(1, 2),
                           phi(x).flatten(2))  # (N, M, M): r_ij
        rel = torch.cat([rel.transpose(1, 2), rel], dim=1)
        rel = gg(rel.view(n, -1, *x.shape[2:]))
        return W(torch.cat([gx(x).mean(1, keepdim=True), rel], dim=1))

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        size = self.spatial_size
        resize = (h, w) != size
        if resize and self.size_mismatch == 'error':
            raise ValueError(
                f'RGA was built for spatial_size={size} but got a {h}×{w} '
                f'input; set spatial_size to the input size or '
                f"size_mismatch='resize'")
        spatial = channel = None
        with torch.autocast(x.device.type, enabled=False):  # float32 gates
            small = x.float()
            if resize:
                small = F.interpolate(small, size=size, mode='bilinear',
                                      align_corners=False)
            if self.use_spatial:
                spatial = self._gate_logits(
                    self.theta_spatial, self.phi_spatial, self.gx_spatial,
                    self.gg_spatial, self.W_spatial, small)
                small = small * spatial.sigmoid()
                if resize:
                    spatial = F.interpolate(spatial, size=(h, w),
                                            mode='bilinear',
                                            align_corners=False)
            if self.use_channel:
                nodes = small.flatten(2).transpose(1, 2).unsqueeze(-1)
                channel = self._gate_logits(
                    self.theta_channel, self.phi_channel, self.gx_channel,
                    self.gg_channel, self.W_channel, nodes).view(n, c, 1, 1)
        if spatial is not None:
            x = x * spatial.sigmoid().to(x.dtype)
        if channel is not None:
            x = x * channel.sigmoid().to(x.dtype)
        return x
