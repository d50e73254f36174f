"""Gather-Excite.

Paper: `Gather-Excite: Exploiting Feature Context in Convolutional Neural
Networks`, Hu et al., NeurIPS 2018, https://arxiv.org/abs/1810.12348

Official code: https://github.com/hujie-frank/GENet (Caffe prototxts of the
global-extent ResNet-50s: ``RN50-GEPF`` = GE-θ⁻, ``RN50-GEP`` = GE-θ,
``RN50-GEPP`` = GE-θ⁺); also consulted timm ``layers/gather_excite.py``
for the local extents, which the official repository does not include.
"""
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import nn

from mmattn.registry import MODELS
from ..utils import (check_ratio, non_negative_int, positive_int,
                     reduced_channels)
from ._gates import (ChannelMLP, adaptive_avg_pool2d, check_pooled_batch,
                     global_avg_pool)
from .base import AttentionBlock, Paper


@MODELS.register_module()
class GE(AttentionBlock):
    """Gather-Excite: gather context over an extent, excite with a sigmoid.

    Gather (``extent`` 0 is global, e = 2, 4, 8 gathers e×e neighbourhoods
    at stride e):

    - without parameters (GE-θ⁻): average pooling, global or with a
      (2e-1)×(2e-1) window at stride e (timm's choice; the paper does not
      give the window);
    - with parameters (``extra_params``, GE-θ): for e > 0, log2(e)
      depth-wise 3×3 stride-2 convs, each with BN, ReLU between them; for the
      global extent, a depth-wise conv as large as the map (official
      ``kernel_size: 56/28/14/7``) + BN. So that any input size works, the
      map is first average pooled (adaptively) to ``feat_size``; the result
      equals the official layer when the map is ``feat_size`` already.

    Excite: an optional SE-style MLP (``use_mlp``, 1×1 convs with bias; with
    ``extra_params`` this is GE-θ⁺, which in the official prototxt has a
    ReLU after the gather's BN), nearest-neighbour upsampling back to the
    input size, sigmoid, and a product with the input. ``extent=0`` without
    parameters but with the MLP is SE.

    The global gather's BN sees N×C×1×1 maps, as in the official prototxt,
    so it cannot train at batch 1; a GN through ``norm_cfg`` can.

    Args:
        in_channels (int): Channels of the input.
        extent (int): 0 (global) or a power of two. Defaults to 0.
        extra_params (bool): Gather with depth-wise convs (GE-θ).
            Defaults to False.
        use_mlp (bool): Add the SE-style MLP to the excite (GE-θ⁺ with
            ``extra_params``). Defaults to False.
        ratio (float | int): Bottleneck width of the MLP.
            Defaults to 1/16 (official ``1x1_down``: C/16).
        feat_size (int): Map size of the global depth-wise conv.
            Defaults to 7.
        norm_cfg (dict): Norm of the gather convs.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation between gather convs and in the MLP.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Example:
        >>> import torch
        >>> block = GE(64, extent=4, extra_params=True)
        >>> block(torch.rand(2, 64, 7, 9)).shape
        torch.Size([2, 64, 7, 9])
    """
    paper = Paper(
        title='Gather-Excite: Exploiting Feature Context in Convolutional '
        'Neural Networks',
        url='https://arxiv.org/abs/1810.12348',
        year=2018,
        family='spatial',
        code='https://github.com/hujie-frank/GENet')
    _abbr_ = 'ge'

    def __init__(self,
                 in_channels,
                 extent=0,
                 extra_params=False,
                 use_mlp=False,
                 ratio=1 / 16,
                 feat_size=7,
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        # unused without the MLP, but a bad value is still reported
        check_ratio(ratio)
        if non_negative_int(extent, 'extent') == 1 or extent & (extent - 1):
            raise ValueError(f'extent must be 0 (global) or a power of two '
                             f'>= 2, got {extent!r}')
        positive_int(feat_size, 'feat_size')
        self.extent = extent
        self.feat_size = (feat_size, feat_size)
        self.gather = None
        if extra_params:
            self.gather = self._gather_convs(in_channels, extent, feat_size,
                                             norm_cfg, act_cfg, use_mlp)
        self.mlp = ChannelMLP(
            in_channels, reduced_channels(in_channels, ratio),
            act_cfg=act_cfg) if use_mlp else None

    @staticmethod
    def _gather_convs(channels, extent, feat_size, norm_cfg, act_cfg,
                      use_mlp):
        if extent == 0:
            convs = [nn.Conv2d(channels, channels, feat_size,
                               groups=channels, bias=False)]
        else:
            convs = [
                nn.Conv2d(channels, channels, 3, 2, 1, groups=channels,
                          bias=False)
                for _ in range(extent.bit_length() - 1)
            ]
        layers = []
        for i, conv in enumerate(convs):
            layers += [conv, build_norm_layer(norm_cfg, channels)[1]]
            if i < len(convs) - 1 or use_mlp:
                layers.append(build_activation_layer(act_cfg))
        return nn.Sequential(*layers)

    def _gather(self, x):
        if self.gather is not None:
            if self.extent == 0 and tuple(x.shape[2:]) != self.feat_size:
                x = adaptive_avg_pool2d(x, self.feat_size)
            return self.gather(x)
        if self.extent == 0:
            return global_avg_pool(x)
        return F.avg_pool2d(
            x,
            2 * self.extent - 1,
            self.extent,
            self.extent - 1,
            count_include_pad=False)

    def forward(self, x):
        if self.gather is not None and self.extent == 0:
            check_pooled_batch(self, self.gather[1], x)
        context = self._gather(x)
        if self.mlp is not None:
            context = self.mlp(context)
        if context.shape[2:] != (1, 1):
            context = F.interpolate(context, size=x.shape[2:], mode='nearest')
        return x * context.sigmoid()
