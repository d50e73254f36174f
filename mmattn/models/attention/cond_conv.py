"""CondConv: a convolution whose kernel is a per-sample mixture of experts.

Paper: CondConv: Conditionally Parameterized Convolutions for Efficient
Inference, Yang et al., NeurIPS 2019, https://arxiv.org/abs/1904.04971.
Official code consulted: https://github.com/tensorflow/tpu
(``models/official/efficientnet/condconv/condconv_layers.py`` and the
routing in ``efficientnet_model.py``).
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import Tensor, nn

from mmattn.registry import MODELS
from ..utils import odd_kernel_size, positive_int
from .base import AttentionBlock, Paper


@MODELS.register_module()
class CondConv(AttentionBlock):
    """Conditionally parameterised convolution on C channels, C in, C out.

    Routing weights ``r = σ(FC(avgpool(x)))`` (one per expert, a sigmoid and
    not a softmax, as in the paper and the official code) mix K expert
    kernels into one kernel per sample, ``W_n = Σ_k r_nk W_k``, which
    convolves that sample. The convolution is followed by a norm and an
    activation (the conv-BN-activation unit that CondConv layers replace in
    the paper's networks); set both to None for the bare convolution.

    All samples run as one grouped convolution (the batch folded into the
    groups), as the official layer's loop over examples but in one call.
    Exported to ONNX, the batch size is therefore fixed to the one traced.

    Experts are initialised one by one like the official layer, here with
    ``N(0, 2 / fan_out)`` as EfficientNet's convs and mmdet's ResNet.

    In a ResNet bottleneck, ``position='after_conv2'`` adds one CondConv
    after the 3×3 conv (the paper replaces convs instead).

    Args:
        in_channels (int): Channels of the input, divisible by ``groups``.
        num_experts (int): K. Defaults to 8.
        kernel_size (int): Kernel size, odd. Defaults to 3.
        groups (int): Groups of the convolution. Defaults to 1.
        bias (bool): Whether each expert has a bias (mixed like the kernels).
            Defaults to False.
        norm_cfg (dict, optional): Norm after the conv.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict, optional): Activation after the norm.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> import torch
        >>> block = CondConv(64, num_experts=4)
        >>> block(torch.rand(2, 64, 9, 13)).shape
        torch.Size([2, 64, 9, 13])
    """
    paper = Paper(
        title='CondConv: Conditionally Parameterized Convolutions for '
        'Efficient Inference',
        url='https://arxiv.org/abs/1904.04971',
        year=2019,
        family='branch',
        code='https://github.com/tensorflow/tpu/tree/master/models/official/'
        'efficientnet/condconv',
        reported='')
    _abbr_ = 'cond_conv'

    def __init__(self,
                 in_channels: int,
                 num_experts: int = 8,
                 kernel_size: int = 3,
                 groups: int = 1,
                 bias: bool = False,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        if in_channels % positive_int(groups, 'groups'):
            raise ValueError(f'groups must divide in_channels={in_channels}, '
                             f'got {groups!r}')
        positive_int(num_experts, 'num_experts')
        odd_kernel_size(kernel_size)
        self.groups = groups
        self.kernel_size = kernel_size
        self.routing = nn.Linear(in_channels, num_experts)
        self.weight = nn.Parameter(torch.empty(
            num_experts, in_channels, in_channels // groups, kernel_size,
            kernel_size))
        self.bias = nn.Parameter(torch.empty(num_experts, in_channels)) \
            if bias else None
        self.norm = build_norm_layer(norm_cfg, in_channels)[1] \
            if norm_cfg is not None else nn.Identity()
        self.act = build_activation_layer(act_cfg) \
            if act_cfg is not None else nn.Identity()
        self.reset_parameters()

    def reset_parameters(self):
        """Each expert ~ N(0, 2 / fan_out) like a conv of its own, biases 0."""
        for expert in self.weight:
            nn.init.kaiming_normal_(
                expert, mode='fan_out', nonlinearity='relu')
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def routing_weights(self, x: Tensor) -> Tensor:
        """N×K routing weights in (0, 1)."""
        return self.routing(x.mean((2, 3))).sigmoid()

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        routing = self.routing_weights(x)
        weight = (routing @ self.weight.flatten(1)).reshape(
            n * c, *self.weight.shape[2:])
        bias = (routing @ self.bias).flatten() \
            if self.bias is not None else None
        out = F.conv2d(x.reshape(1, n * c, h, w), weight, bias,
                       padding=self.kernel_size // 2, groups=n * self.groups)
        return self.act(self.norm(out.reshape(n, c, h, w)))
