"""Self-calibrated convolution (SCNet), shape-preserving.

Paper: Improving Convolutional Networks with Self-Calibrated Convolutions,
Liu et al., CVPR 2020,
https://openaccess.thecvf.com/content_CVPR_2020/html/Liu_Improving_Convolutional_Networks_With_Self-Calibrated_Convolutions_CVPR_2020_paper.html.
Official code consulted: https://github.com/MCG-NKU/SCNet
(``scnet.py``: ``SCConv``, ``SCBottleneck``).
"""
import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_activation_layer
from torch import Tensor, nn

from mmattn.registry import MODELS
from ..utils import positive_int
from .base import AttentionBlock, Paper


@MODELS.register_module()
class SCConv(AttentionBlock):
    """Self-calibrated convolution on C channels, C in, C out.

    The input is split into two halves along the channels (paper, Fig. 2):

    - ``x_a -> act(K1(x_a))``: a plain 3×3 conv;
    - ``x_b -> act(K4(K3(x_b) · σ(x_b + up(K2(avgpool_r(x_b))))))``: the
      self-calibration, whose gate sees a receptive field r times larger;

    and the two are concatenated. Each K is a 3×3 conv (no bias) and a BN, as
    in the official ``SCConv``; the activations after both paths are the
    ReLUs of the official ``SCBottleneck``, whose 1×1 ``conv1_a`` and
    ``conv1_b`` make the two halves (here the host's conv makes them, so the
    plug-in splits its input instead). ``up`` is nearest-neighbour
    up-sampling to the input size, as ``F.interpolate``'s default there.

    The average pool rounds up (``ceil_mode=True``): for sizes divisible by
    r it is the official pool, and it also works for inputs smaller than r
    (the official pool fails on them).

    In SCNet the self-calibrated convolution replaces the 3×3 conv of each
    bottleneck and feeds its 1×1 ``conv3``: ``position='after_conv2'`` in a
    ResNet is the nearest plug-in position (an extra convolution there, not
    a replacement, so it adds parameters and does not start as the identity).

    Args:
        in_channels (int): Channels of the input, even.
        pooling_r (int): Down-sampling rate r of K2's average pool.
            Defaults to 4.
        norm_cfg (dict): Norm after each conv. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation after each path.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> import torch
        >>> block = SCConv(64)
        >>> block(torch.rand(2, 64, 9, 13)).shape
        torch.Size([2, 64, 9, 13])
    """
    paper = Paper(
        title='Improving Convolutional Networks with Self-Calibrated '
        'Convolutions',
        url='https://openaccess.thecvf.com/content_CVPR_2020/html/'
        'Liu_Improving_Convolutional_Networks_With_Self-Calibrated_'
        'Convolutions_CVPR_2020_paper.html',
        year=2020,
        family='channel-spatial',
        code='https://github.com/MCG-NKU/SCNet',
        reported='COCO with SCNet-50 replacing ResNet-50 (mmdetection): '
        'Faster R-CNN FPN 37.6 -> 40.8 box AP; Mask R-CNN FPN 35.0 -> 37.2 '
        'mask AP')
    _abbr_ = 'scconv'

    def __init__(self,
                 in_channels: int,
                 pooling_r: int = 4,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        if in_channels % 2:
            raise ValueError(f'in_channels must be even (two halves), '
                             f'got {in_channels!r}')
        positive_int(pooling_r, 'pooling_r')
        half = in_channels // 2

        def conv_norm():
            return ConvModule(half, half, 3, padding=1, norm_cfg=norm_cfg,
                              act_cfg=None)

        self.k1 = conv_norm()
        self.k2 = nn.Sequential(
            # count_include_pad=False: without padding the same divisor,
            # and inductor's backward of the partial windows then agrees
            nn.AvgPool2d(pooling_r, stride=pooling_r, ceil_mode=True,
                         count_include_pad=False),
            conv_norm())
        self.k3 = conv_norm()
        self.k4 = conv_norm()
        self.act = build_activation_layer(act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        x_a, x_b = x.chunk(2, 1)
        context = F.interpolate(self.k2(x_b), size=x_b.shape[2:])
        calibrated = self.k4(self.k3(x_b) * torch.sigmoid(x_b + context))
        return torch.cat([self.act(self.k1(x_a)), self.act(calibrated)], 1)
