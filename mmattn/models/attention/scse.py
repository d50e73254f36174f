"""scSE: concurrent spatial and channel squeeze & excitation.

Papers: Concurrent Spatial and Channel 'Squeeze & Excitation' in Fully
Convolutional Networks, Roy et al., MICCAI 2018,
https://arxiv.org/abs/1803.02579, and its journal version, Recalibrating Fully
Convolutional Networks with Spatial and Channel 'Squeeze & Excitation' Blocks,
Roy et al., IEEE TMI 2019, https://arxiv.org/abs/1808.08127, which compares
the ways to fuse the two recalibrated maps.
Official code consulted: https://github.com/ai-med/squeeze_and_excitation
(``squeeze_and_excitation/squeeze_and_excitation.py``).
"""
import torch
from torch import Tensor, nn

from mmattn.registry import MODELS
from mmattn.models.utils import reduced_channels
from ._gates import ChannelMLP, global_avg_pool
from .base import AttentionBlock, Paper

FUSIONS = ('max', 'add', 'mul', 'concat')


@MODELS.register_module()
class scSE(AttentionBlock):
    """Concurrent spatial and channel squeeze & excitation.

    cSE recalibrates channels, ``x * σ(FC(ReLU(FC(avgpool(x)))))`` (an SE
    gate with biases, reduction 2 by default as in the official code); sSE
    recalibrates positions, ``x * σ(conv1×1(x))`` (C -> 1, with bias). The
    two recalibrated maps are fused:

    - ``'max'``: element-wise max, the official ``ChannelSpatialSELayer`` and
      the fusion the TMI paper found best;
    - ``'add'``: sum, the MICCAI paper's scSE;
    - ``'mul'``: element-wise product, also compared in the TMI paper;
    - ``'concat'``: the TMI paper concatenates the two maps (2C channels) for
      the next layer. A plug-in must keep C channels, so here a 1×1 conv
      (2C -> C, no bias) follows the concatenation: an addition of mmattn's.

    Args:
        in_channels (int): Channels of the input.
        ratio (float | int): Width of cSE's bottleneck: a float in (0, 1]
            multiplies ``in_channels``, an int r divides it. Defaults to 1/2
            (the official reduction ratio 2).
        fusion (str): One of ``'max'``, ``'add'``, ``'mul'``, ``'concat'``.
            Defaults to ``'max'``.
        act_cfg (dict): Activation of cSE's bottleneck.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> import torch
        >>> block = scSE(64, fusion='add')
        >>> block(torch.rand(2, 64, 9, 13)).shape
        torch.Size([2, 64, 9, 13])
    """
    paper = Paper(
        title="Concurrent Spatial and Channel 'Squeeze & Excitation' in "
        'Fully Convolutional Networks',
        url='https://arxiv.org/abs/1803.02579',
        year=2018,
        family='channel-spatial',
        code='https://github.com/ai-med/squeeze_and_excitation',
        reported='')
    _abbr_ = 'scse'

    def __init__(self,
                 in_channels: int,
                 ratio=1 / 2,
                 fusion: str = 'max',
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        if fusion not in FUSIONS:
            raise ValueError(f'fusion must be one of {FUSIONS}, '
                             f'got {fusion!r}')
        hidden = reduced_channels(in_channels, ratio)
        self.fusion = fusion
        self.channel_mlp = ChannelMLP(in_channels, hidden, act_cfg=act_cfg)
        self.spatial_conv = nn.Conv2d(in_channels, 1, 1)
        if fusion == 'concat':
            self.fuse = nn.Conv2d(2 * in_channels, in_channels, 1, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        channel = x * self.channel_mlp(global_avg_pool(x)).sigmoid()
        spatial = x * self.spatial_conv(x).sigmoid()
        if self.fusion == 'max':
            return torch.maximum(channel, spatial)
        if self.fusion == 'add':
            return channel + spatial
        if self.fusion == 'mul':
            return channel * spatial
        return self.fuse(torch.cat([channel, spatial], 1))
