"""CBAM: a channel gate then a spatial gate.

Paper: CBAM: Convolutional Block Attention Module, Woo et al., ECCV 2018,
https://arxiv.org/abs/1807.06521.
Official code consulted: https://github.com/Jongchan/attention-module
(``MODELS/cbam.py``, ``MODELS/model_resnet.py``).
"""
from typing import Optional

from mmcv.cnn import build_norm_layer
from torch import Tensor, nn

from mmattn.registry import MODELS
from mmattn.models.utils import odd_kernel_size, reduced_channels
from ._gates import ChannelMLP, global_avg_pool, global_max_pool, z_pool
from .base import AttentionBlock, Paper


@MODELS.register_module()
class CBAM(AttentionBlock):
    """Convolutional Block Attention Module.

    ``x = x * σ(MLP(avgpool(x)) + MLP(maxpool(x)))`` (one MLP shared by both
    descriptors), then ``x = x * σ(BN(conv7×7([max_c(x); mean_c(x)])))``.

    Where the official code and the paper differ, this follows the code:

    - the spatial gate's 7×7 conv has no bias and is followed by a
      BatchNorm (momentum 0.01 in PyTorch's convention), which the paper does
      not mention;
    - that BatchNorm's weight and bias start at 0, as the official ResNet
      init does, so the spatial gate starts as the constant 0.5 and the
      block does not start as the identity;
    - the MLP's layers have biases.

    The channel pool concatenates the max first, then the mean, as the
    official ``ChannelPool``. Pools are global means and maxes over H and W
    (the official code pools with a kernel of the input size).

    Args:
        in_channels (int): Channels of the input.
        ratio (float | int): Width of the shared MLP: a float in (0, 1]
            multiplies ``in_channels``, an int r divides it. Defaults to
            1/16 (the paper's r = 16).
        kernel_size (int): Kernel of the spatial gate's conv, odd.
            Defaults to 7.
        spatial (bool): Whether to apply the spatial gate (the official
            ``no_spatial=False``). Defaults to True.
        act_cfg (dict): Activation inside the MLP.
            Defaults to ``dict(type='ReLU')``.
        norm_cfg (dict, optional): Norm after the spatial conv; None for no
            norm. Defaults to ``dict(type='BN', momentum=0.01)``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> import torch
        >>> block = CBAM(64)
        >>> block(torch.rand(2, 64, 9, 13)).shape
        torch.Size([2, 64, 9, 13])
    """
    paper = Paper(
        title='CBAM: Convolutional Block Attention Module',
        url='https://arxiv.org/abs/1807.06521',
        year=2018,
        family='channel-spatial',
        code='https://github.com/Jongchan/attention-module',
        reported='COCO Faster R-CNN with an ImageNet-pretrained CBAM '
        'backbone: R50 27.0 -> 28.1 AP, R101 29.1 -> 30.8 AP')
    _abbr_ = 'cbam'

    def __init__(self,
                 in_channels: int,
                 ratio=1 / 16,
                 kernel_size: int = 7,
                 spatial: bool = True,
                 act_cfg: dict = dict(type='ReLU'),
                 norm_cfg: Optional[dict] = dict(type='BN', momentum=0.01),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        hidden = reduced_channels(in_channels, ratio)
        self.channel_mlp = ChannelMLP(in_channels, hidden, act_cfg=act_cfg)
        self.spatial = spatial
        if spatial:
            self.spatial_gate = SpatialGate(kernel_size, norm_cfg,
                                            zero_init=True)
        self.reset_parameters()

    def reset_parameters(self):
        """The official init of the spatial gate (``model_resnet.py``): its
        norm's weight and bias are zero, so it starts at σ(0) = 0.5."""
        if self.spatial:
            self.spatial_gate.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        logits = self.channel_mlp(global_avg_pool(x)) + \
            self.channel_mlp(global_max_pool(x))
        x = x * logits.sigmoid()
        if self.spatial:
            x = x * self.spatial_gate(z_pool(x)).sigmoid()
        return x


class SpatialGate(nn.Sequential):
    """Logits of a spatial gate from a 2-channel pooled map: a k×k conv
    (2 -> 1, no bias) then a norm, as the official ``BasicConv(2, 1, k,
    relu=False)`` of CBAM and of Triplet Attention.

    Args:
        kernel_size (int): Odd kernel size of the conv.
        norm_cfg (dict, optional): Norm after the conv; None for none.
        zero_init (bool): Whether :meth:`reset_parameters` zeroes the norm's
            weight and bias (CBAM's official init) rather than keeping
            PyTorch's (Triplet Attention's). Defaults to False.
    """

    def __init__(self,
                 kernel_size: int,
                 norm_cfg: Optional[dict],
                 zero_init: bool = False):
        odd_kernel_size(kernel_size)
        super().__init__()
        self.zero_init = zero_init
        self.conv = nn.Conv2d(
            2, 1, kernel_size, padding=kernel_size // 2, bias=False)
        if norm_cfg is not None:
            self.norm = build_norm_layer(norm_cfg, 1)[1]

    def reset_parameters(self):
        """With ``zero_init``, the norm's affine weight and bias are zero."""
        if self.zero_init and hasattr(self, 'norm'):
            nn.init.zeros_(self.norm.weight)
            nn.init.zeros_(self.norm.bias)
