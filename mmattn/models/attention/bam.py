"""BAM: parallel channel and dilated spatial branches, applied as 1 + σ.

Paper: BAM: Bottleneck Attention Module, Park et al., BMVC 2018,
https://arxiv.org/abs/1807.06514.
Official code consulted: https://github.com/Jongchan/attention-module
(``MODELS/bam.py``, ``MODELS/model_resnet.py``).
"""
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import Tensor, nn

from mmattn.registry import MODELS
from mmattn.models.utils import (non_negative_int, positive_int,
                                 reduced_channels)
from ._gates import ChannelMLP, check_pooled_batch, global_avg_pool
from .base import AttentionBlock, Paper

FUSIONS = ('mul', 'add')


@MODELS.register_module()
class BAM(AttentionBlock):
    """Bottleneck Attention Module: ``x * (1 + σ(fuse(M_c(x), M_s(x))))``.

    The channel branch is global average pooling, FC (C -> C/r), BN, ReLU,
    FC (C/r -> C). The spatial branch is a 1×1 conv (C -> C/r), two 3×3
    convs with dilation 4, and a 1×1 conv to one map; every conv but the last
    is followed by BN and ReLU. All layers have biases, as in the code.

    The paper fuses the branches by a sum (eq. 2, and its ablation finds the
    sum best) but the official code multiplies them
    (``1 + sigmoid(channel_att * spatial_att)``); the default follows the
    code, ``fusion='add'`` gives the paper's. The paper also draws a BN at the
    end of each branch; the code (followed here) has none there. The official
    channel branch pools with a window of the input's height, which is the
    global mean only for square inputs; here it is the global mean for any
    size. Its BN sees N×C/r pooled vectors, as in the official code, so it
    cannot train at batch 1; a GN through ``norm_cfg`` can.

    The paper places BAM once per stage, at the end of stages 1-3 of a
    ResNet (where the feature map is about to be down-sampled). mmdet's
    ResNet ``plugins`` insert a block in every residual block of a stage, so
    that placement cannot be expressed by a plug-in position; the configs
    use every block of the chosen stages instead.

    Args:
        in_channels (int): Channels of the input.
        ratio (float | int): Width of both branches: a float in (0, 1]
            multiplies ``in_channels``, an int r divides it. Defaults to
            1/16 (the paper's r = 16).
        dilation (int): Dilation of the spatial branch's 3×3 convs.
            Defaults to 4.
        num_dilated_convs (int): Number of dilated 3×3 convs. Defaults to 2.
        fusion (str): ``'mul'`` (official code) or ``'add'`` (paper).
            Defaults to ``'mul'``.
        norm_cfg (dict): Norm of both branches.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation of both branches.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> import torch
        >>> block = BAM(64)
        >>> block(torch.rand(2, 64, 9, 13)).shape
        torch.Size([2, 64, 9, 13])
    """
    paper = Paper(
        title='BAM: Bottleneck Attention Module',
        url='https://arxiv.org/abs/1807.06514',
        year=2018,
        family='channel-spatial',
        code='https://github.com/Jongchan/attention-module',
        reported='')
    _abbr_ = 'bam'

    def __init__(self,
                 in_channels: int,
                 ratio=1 / 16,
                 dilation: int = 4,
                 num_dilated_convs: int = 2,
                 fusion: str = 'mul',
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        if fusion not in FUSIONS:
            raise ValueError(f'fusion must be one of {FUSIONS}, '
                             f'got {fusion!r}')
        positive_int(dilation, 'dilation')
        non_negative_int(num_dilated_convs, 'num_dilated_convs')
        hidden = reduced_channels(in_channels, ratio)
        self.fusion = fusion
        self.channel_mlp = ChannelMLP(
            in_channels, hidden, norm_cfg=norm_cfg, act_cfg=act_cfg)
        layers = [_conv_norm_act(in_channels, hidden, 1, 1, norm_cfg, act_cfg)]
        layers += [
            _conv_norm_act(hidden, hidden, 3, dilation, norm_cfg, act_cfg)
            for _ in range(num_dilated_convs)
        ]
        layers.append(nn.Conv2d(hidden, 1, 1))
        self.spatial_branch = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        check_pooled_batch(self, self.channel_mlp.norm, x)
        channel = self.channel_mlp(global_avg_pool(x))
        spatial = self.spatial_branch(x)
        logits = channel * spatial if self.fusion == 'mul' \
            else channel + spatial
        return x * (1 + logits.sigmoid())


def _conv_norm_act(in_channels, out_channels, kernel_size, dilation, norm_cfg,
                   act_cfg):
    """Conv (with bias, as the official code) -> norm -> activation."""
    padding = dilation * (kernel_size // 2)
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding,
                  dilation=dilation),
        build_norm_layer(norm_cfg, out_channels)[1],
        build_activation_layer(act_cfg))
