"""Style-based Recalibration Module.

Paper: `SRM: A Style-based Recalibration Module for Convolutional Neural
Networks`, Lee et al., ICCV 2019, https://arxiv.org/abs/1903.10829

Official code:
https://github.com/hyunjaelee410/style-based-recalibration-module
(``models/recalibration_modules.py``).
"""
import torch
from mmcv.cnn import build_norm_layer
from torch import nn

from mmattn.registry import MODELS
from ._gates import check_pooled_batch
from .base import AttentionBlock, Paper


@MODELS.register_module()
class SRM(AttentionBlock):
    """Style pooling (mean, std) -> channel-wise FC -> BN -> sigmoid.

    Each channel mixes its own mean and standard deviation with two weights
    (``cfc``, C×2, zero-initialised as in the official code), then a BN and
    a sigmoid give the gate.

    The standard deviation is the unbiased one (``torch.std``) as in the
    official code, with two guards the official code lacks: a 1×1 map has
    std 0 (``torch.std`` gives NaN), and a 1e-12 floor under the square root
    keeps the gradient finite for a constant channel (``torch.std``'s
    backward gives NaN there, e.g. for a channel that a ReLU zeroed).

    The BN sees the N×C pooled styles (the official ``BatchNorm1d``), so it
    cannot train at batch 1; a GN through ``norm_cfg`` can.

    Args:
        in_channels (int): Channels of the input.
        norm_cfg (dict): Norm after the channel-wise FC.
            Defaults to ``dict(type='BN')`` (the official ``BatchNorm1d``).
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Example:
        >>> import torch
        >>> block = SRM(64)
        >>> block(torch.rand(2, 64, 7, 9)).shape
        torch.Size([2, 64, 7, 9])
    """
    paper = Paper(
        title='SRM: A Style-based Recalibration Module for Convolutional '
        'Neural Networks',
        url='https://arxiv.org/abs/1903.10829',
        year=2019,
        family='channel',
        code='https://github.com/hyunjaelee410/'
        'style-based-recalibration-module')
    _abbr_ = 'srm'

    def __init__(self, in_channels, norm_cfg=dict(type='BN'), init_cfg=None):
        super().__init__(in_channels, init_cfg)
        self.cfc = nn.Parameter(torch.empty(in_channels, 2))
        self.norm = build_norm_layer(norm_cfg, in_channels)[1]
        self.reset_parameters()

    def reset_parameters(self):
        """The official init: style weights ``cfc`` at zero."""
        nn.init.zeros_(self.cfc)

    def forward(self, x):
        check_pooled_batch(self, self.norm, x)
        n, c, h, w = x.shape
        flat = x.flatten(2)
        mean = flat.mean(2)
        var = (flat - mean[..., None]).pow(2).sum(2) / max(h * w - 1, 1)
        style = torch.stack([mean, (var + 1e-12).sqrt()], 2)  # N×C×2
        z = (style * self.cfc).sum(2)[..., None, None]  # N×C×1×1
        return x * self.norm(z).sigmoid()
