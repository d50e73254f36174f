"""Global second-order pooling channel attention (GSoP-Net1 block).

Paper: `Global Second-order Pooling Convolutional Networks`, Gao et al.,
CVPR 2019, https://arxiv.org/abs/1811.12006

Official code: ZilinGao/Global-Second-order-Pooling-Convolutional-Networks
on GitHub (``torchvision/models/resnet.py``: ``Bottleneck.chan_att``;
``MPNCOV/python/MPNCOV.py``: ``CovpoolLayer``).
"""
import torch
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import nn

from mmattn.registry import MODELS
from ..utils import positive_int
from .base import AttentionBlock, Paper


def covariance(x):
    """N×C×H×W -> N×C×C covariance over the H·W positions (normalised by
    H·W, as ``CovpoolLayer``: ``X (I - 11^T / M) X^T / M``)."""
    flat = x.flatten(2)
    centred = flat - flat.mean(2, keepdim=True)
    return centred @ centred.transpose(1, 2) / flat.shape[2]


@MODELS.register_module()
class GSoP(AttentionBlock):
    """GSoP channel attention: 1×1 reduction -> covariance -> row-wise conv
    -> 1×1 conv -> sigmoid.

    Module for module as the official ``chan_att``: ReLU of the input (not
    in place), 1×1 conv (with bias) to d channels + BN + ReLU, the d×d
    covariance seen as a d-channel d×1 map, BN of its rows, a row-wise conv
    (a grouped d×1 conv, d -> 4d), a 1×1 conv 4d -> C and a sigmoid; the
    input (before the ReLU) is scaled by the result. The official code has no
    activation between the row-wise conv and the last conv.

    The covariance is computed in float32 with autocast disabled: in bf16 the
    centred products lose most of their digits.

    Args:
        in_channels (int): Channels of the input.
        hidden_channels (int): d, the reduced channels whose covariance is
            pooled. Defaults to 128 (the official ``att_dim``).
        reduction_stride (int): Stride of the reduction conv; the official
            ResNet uses 2 in its first stage (planes 64) to save compute.
            Defaults to 1.
        norm_cfg (dict): Norms after the reduction and on the covariance
            rows. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation after the reduction.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Example:
        >>> import torch
        >>> block = GSoP(64, hidden_channels=16)
        >>> block(torch.rand(2, 64, 7, 9)).shape
        torch.Size([2, 64, 7, 9])
    """
    paper = Paper(
        title='Global Second-order Pooling Convolutional Networks',
        url='https://arxiv.org/abs/1811.12006',
        year=2019,
        family='channel',
        code='https://github.com/ZilinGao/'
        'Global-Second-order-Pooling-Convolutional-Networks')
    _abbr_ = 'gsop'

    def __init__(self,
                 in_channels,
                 hidden_channels=128,
                 reduction_stride=1,
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        d = positive_int(hidden_channels, 'hidden_channels')
        positive_int(reduction_stride, 'reduction_stride')
        self.reduce = nn.Conv2d(in_channels, d, 1, stride=reduction_stride)
        self.reduce_norm = build_norm_layer(norm_cfg, d)[1]
        self.act = build_activation_layer(act_cfg)
        self.row_norm = build_norm_layer(norm_cfg, d)[1]
        self.row_conv = nn.Conv2d(d, 4 * d, (d, 1), groups=d)
        self.fc = nn.Conv2d(4 * d, in_channels, 1)

    def forward(self, x):
        y = self.act(self.reduce_norm(self.reduce(x.relu())))
        with torch.autocast(x.device.type, enabled=False):
            cov = covariance(y.float())
        y = self.row_norm(cov.unsqueeze(-1))  # rows as channels: N×d×d×1
        y = self.fc(self.row_conv(y))  # N×C×1×1
        return x * y.sigmoid()
