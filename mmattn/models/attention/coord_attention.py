"""Coordinate attention: channel attention factorised along H and W.

Paper: Coordinate Attention for Efficient Mobile Network Design, Hou et al.,
CVPR 2021, https://arxiv.org/abs/2103.02907.
Official code consulted: https://github.com/houqb/CoordAttention
(``coordatt.py``, ``mbv2_ca.py``).
"""
import torch
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import Tensor, nn

from mmattn.registry import MODELS
from mmattn.models.utils import reduced_channels
from .base import AttentionBlock, Paper


@MODELS.register_module()
class CoordAttention(AttentionBlock):
    """Coordinate attention: ``x * a_h * a_w``.

    The input is averaged along W (giving C×H×1) and along H (C×1×W); the two
    are concatenated along the spatial axis and share a 1×1 conv (C ->
    ``max(8, C // 32)`` by default, with bias), BN and h-swish. The result is
    split back, and one 1×1 conv (with bias) and a sigmoid per direction give
    ``a_h`` (C×H×1) and ``a_w`` (C×1×W).

    Pooling uses ``mean`` rather than the official
    ``AdaptiveAvgPool2d((None, 1))``, so the block exports to ONNX. Layer
    names are the official ``CoordAtt``'s (``conv1``, ``bn1``, ``conv_h``,
    ``conv_w``).

    In the official MobileNetV2 the block sits after the depthwise 3×3 conv
    of each inverted residual block (with its expanded width); the analogue
    in a ResNet bottleneck is ``position='after_conv2'``. The paper has no
    ResNet experiment.

    Args:
        in_channels (int): Channels of the input (the official ``inp`` and
            ``oup``, equal in every official use).
        ratio (float | int): Reduced width before the floor: a float in
            (0, 1] multiplies ``in_channels``, an int r divides it; the width
            is ``max(min_channels, int(in_channels * ratio))``. Defaults to
            1/32 (the official reduction 32).
        min_channels (int): Floor of the reduced width. Defaults to 8.
        norm_cfg (dict): Norm after the shared conv.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation after it; mmcv's ``HSwish`` is the
            official ``h_swish``. Defaults to ``dict(type='HSwish')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> import torch
        >>> block = CoordAttention(64)
        >>> block.conv1.out_channels  # max(8, 64 // 32)
        8
        >>> block(torch.rand(2, 64, 9, 13)).shape
        torch.Size([2, 64, 9, 13])
    """
    paper = Paper(
        title='Coordinate Attention for Efficient Mobile Network Design',
        url='https://arxiv.org/abs/2103.02907',
        year=2021,
        family='channel-spatial',
        code='https://github.com/houqb/CoordAttention',
        reported='MobileNetV2 backbones: COCO SSDLite320 22.3 -> 24.5 AP; '
        'Pascal VOC 2012 DeepLabV3 (output stride 16) 70.84 -> 73.32 mIoU; '
        'Cityscapes DeepLabV3 (output stride 8) 71.4 -> 74.0 mIoU')
    _abbr_ = 'coord_att'

    def __init__(self,
                 in_channels: int,
                 ratio=1 / 32,
                 min_channels: int = 8,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='HSwish'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        hidden = reduced_channels(in_channels, ratio,
                                  min_channels=min_channels)
        self.conv1 = nn.Conv2d(in_channels, hidden, 1)
        self.bn1 = build_norm_layer(norm_cfg, hidden)[1]
        self.act = build_activation_layer(act_cfg)
        self.conv_h = nn.Conv2d(hidden, in_channels, 1)
        self.conv_w = nn.Conv2d(hidden, in_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        h = x.shape[2]
        pooled_h = x.mean(3, keepdim=True)  # N×C×H×1
        pooled_w = x.mean(2, keepdim=True).transpose(2, 3)  # N×C×W×1
        y = self.act(self.bn1(self.conv1(torch.cat([pooled_h, pooled_w], 2))))
        y_h, y_w = y[:, :, :h], y[:, :, h:]
        a_h = self.conv_h(y_h).sigmoid()
        a_w = self.conv_w(y_w.transpose(2, 3)).sigmoid()
        return x * a_w * a_h
