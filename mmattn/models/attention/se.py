"""Squeeze-and-Excitation block.

Paper: `Squeeze-and-Excitation Networks`, Hu et al., CVPR 2018 / TPAMI 2019,
https://arxiv.org/abs/1709.01507

Official code: https://github.com/hujie-frank/SENet (Caffe prototxts); also
consulted timm ``layers/squeeze_excite.py``.
"""
from mmcv.cnn import build_activation_layer

from mmattn.registry import MODELS
from ..utils import reduced_channels
from ._gates import ChannelMLP, global_avg_pool
from .base import AttentionBlock, Paper


@MODELS.register_module()
class SE(AttentionBlock):
    """Squeeze-and-Excitation: GAP -> FC(C/r) -> ReLU -> FC(C) -> sigmoid.

    The two fully connected layers are 1×1 convs with bias, as in the official
    Caffe models (``fc1``/``fc2`` here; ``conv*_1x1_down``/``_up`` there).
    The paper places it after the last BN of each residual branch, before the
    addition: ``position='after_conv3'`` in mmdet's ResNet.

    Args:
        in_channels (int): Channels of the input.
        ratio (float | int): Bottleneck width: a float in (0, 1] multiplies
            ``in_channels``, an int r divides it. Defaults to 1/16 (the
            paper's r = 16).
        act_cfg (dict): Activation of the bottleneck.
            Defaults to ``dict(type='ReLU')``.
        gate_cfg (dict): Gate activation, e.g. ``dict(type='HSigmoid')`` for
            the MobileNetV3 variant. Defaults to ``dict(type='Sigmoid')``.
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Example:
        >>> import torch
        >>> block = SE(64)
        >>> block(torch.rand(2, 64, 7, 9)).shape
        torch.Size([2, 64, 7, 9])
    """
    paper = Paper(
        title='Squeeze-and-Excitation Networks',
        url='https://arxiv.org/abs/1709.01507',
        year=2018,
        family='channel',
        code='https://github.com/hujie-frank/SENet',
        reported='Faster R-CNN R50, COCO minival: 40.4 AP vs 38.0 '
        '(+2.4, journal version)')
    _abbr_ = 'se'

    def __init__(self,
                 in_channels,
                 ratio=1 / 16,
                 act_cfg=dict(type='ReLU'),
                 gate_cfg=dict(type='Sigmoid'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        hidden = reduced_channels(in_channels, ratio)
        self.fc = ChannelMLP(in_channels, hidden, act_cfg=act_cfg)
        self.gate = build_activation_layer(gate_cfg)

    def forward(self, x):
        return x * self.gate(self.fc(global_avg_pool(x)))
