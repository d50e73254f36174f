"""Non-local block, computed without an HW×HW matrix where the mode allows.

Paper: Non-local Neural Networks, Wang et al. 2018,
https://arxiv.org/abs/1711.07971.
Code consulted: https://github.com/facebookresearch/video-nonlocal-net
(Caffe2, the authors') and mmcv's ``NonLocal2d``
(``mmcv/cnn/bricks/non_local.py``), whose layout and init this block keeps.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import constant_init, normal_init
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int, reduced_channels
from ._sdpa import softmax_attention, tokens
from .base import AttentionBlock, Paper

MODES = ('embedded_gaussian', 'dot_product', 'gaussian', 'concatenation')


@MODELS.register_module()
class NonLocal(AttentionBlock):
    """Non-local block: ``x + W_z · Σ_j f(x_i, x_j) g(x_j) / C(x)``.

    The four pairwise functions of the paper (``mode``):

    - ``'embedded_gaussian'``: ``softmax(θ(x)ᵀ φ(x) / √C')``. Runs on
      ``scaled_dot_product_attention``, so the HW×HW matrix is never
      built (:func:`~mmattn.models.attention._sdpa.softmax_attention`).
    - ``'gaussian'``: ``softmax(xᵀ x)``, the same on SDPA.
    - ``'dot_product'``: ``θᵀφ / N`` with N the number of keys. There is no
      softmax, so the product is reassociated: ``θ (φᵀ g) / N`` costs
      O(HW·C'²) and holds a C'×C' matrix instead of HW×HW.
    - ``'concatenation'``: ``ReLU(w·[θ_i, φ_j]) / N``. ``w·[θ_i, φ_j]`` is
      ``w_θ·θ_i + w_φ·φ_j``, so the HW×HW matrix is built from two vectors
      (mmcv builds the 2C'×HW×HW concatenation itself). It is the only mode
      that keeps an HW×HW matrix.

    Module layout, names and init are those of mmcv's ``NonLocal2d``
    (``g``, ``theta``, ``phi``, ``conv_out``, ``concat_project``, all
    ``ConvModule``; with ``sub_sample``, ``g`` and ``phi`` followed by the
    pooling in an ``nn.Sequential``).
    ``conv_out`` (or its norm, with ``norm_cfg``) starts at zero, so the
    block starts as the identity. The authors' Caffe2 code zero-inits the
    BN after ``W_z``; mmcv, without a norm, zero-inits the conv.

    One difference from mmcv: with ``sub_sample`` the 2×2 max pooling of the
    keys and values uses ``ceil_mode``, so odd sizes keep their last row and
    column and 1×1 maps work; mmcv floors (drops them, and fails on 1×1).

    Args:
        in_channels (int): Channels of the input.
        reduction (int): ``C' = in_channels // reduction`` for θ, φ, g.
            Defaults to 2.
        mode (str): One of ``'embedded_gaussian'``, ``'dot_product'``,
            ``'gaussian'``, ``'concatenation'``.
            Defaults to ``'embedded_gaussian'``.
        use_scale (bool): Scale the ``embedded_gaussian`` logits by
            ``1 / √C'`` (as mmcv; the paper does not). Defaults to True.
        sub_sample (bool): 2×2 max pool φ and g (the paper's subsampling
            trick, 1/4 of the pairs). Defaults to False.
        norm_cfg (dict, optional): Norm after ``conv_out``. Defaults to None.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> nl = NonLocal(16, mode='dot_product')
        >>> nl(torch.randn(2, 16, 9, 7)).shape
        torch.Size([2, 16, 9, 7])
    """
    paper = Paper(
        title='Non-local Neural Networks',
        url='https://arxiv.org/abs/1711.07971',
        year=2018,
        family='self-attention',
        code='https://github.com/facebookresearch/video-nonlocal-net',
        reported='Mask R-CNN R50 (1 NL block in res4), COCO val: '
        '38.0 -> 39.0 box AP, 34.6 -> 35.5 mask AP')
    identity_at_init = True
    _abbr_ = 'nonlocal_block'

    def __init__(self,
                 in_channels: int,
                 reduction: int = 2,
                 mode: str = 'embedded_gaussian',
                 use_scale: bool = True,
                 sub_sample: bool = False,
                 norm_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        self.inter_channels = reduced_channels(
            in_channels, positive_int(reduction, 'reduction'))
        self.mode = mode
        self.use_scale = use_scale
        self.sub_sample = sub_sample

        def conv1x1(cin, cout, **kwargs):
            return ConvModule(cin, cout, 1, act_cfg=None, **kwargs)

        inter = self.inter_channels
        # Subsampling wraps g and phi as mmcv does (``g.0.conv.weight``), so
        # the state dicts match in every configuration.
        pool = nn.MaxPool2d(2, ceil_mode=True) if sub_sample else None

        def keys(module):
            return module if pool is None else nn.Sequential(module, pool)

        self.g = keys(conv1x1(in_channels, inter))
        if mode == 'gaussian':
            self.phi = nn.Identity() if pool is None else pool
        else:
            self.theta = conv1x1(in_channels, inter)
            self.phi = keys(conv1x1(in_channels, inter))
        if mode == 'concatenation':
            # Only its weight is used (split into w_θ and w_φ, see forward);
            # kept as mmcv's module so that mmcv state dicts load.
            self.concat_project = ConvModule(
                2 * inter, 1, 1, bias=False, act_cfg=dict(type='ReLU'))
        self.conv_out = conv1x1(inter, in_channels, norm_cfg=norm_cfg)
        self.reset_parameters()

    def reset_parameters(self):
        """mmcv's init: projections ~ N(0, 0.01²), the output at zero."""
        for module in self.modules():
            if isinstance(module, ConvModule) and module is not self.conv_out \
                    and module is not getattr(self, 'concat_project', None):
                normal_init(module.conv, std=0.01)
        out = self.conv_out
        constant_init(out.norm if out.with_norm else out.conv, 0)

    def forward(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        v = tokens(self.g(x))  # N×S×C'
        if self.mode == 'gaussian':
            y = softmax_attention(tokens(x), tokens(self.phi(x)), v, 1.)
        else:
            theta, phi = self.theta(x), self.phi(x)
            if self.mode == 'embedded_gaussian':
                scale = self.inter_channels**-0.5 if self.use_scale else 1.
                y = softmax_attention(tokens(theta), tokens(phi), v, scale)
            elif self.mode == 'dot_product':
                y = tokens(theta) @ (phi.flatten(2) @ v) / v.shape[1]
            else:
                y = self._concatenation(theta, phi, v)
        y = y.transpose(1, 2).reshape(n, self.inter_channels, h, w)
        return x + self.conv_out(y)

    def _concatenation(self, theta: Tensor, phi: Tensor, v: Tensor) -> Tensor:
        w_theta, w_phi = self.concat_project.conv.weight.split(
            self.inter_channels, dim=1)
        a = tokens(F.conv2d(theta, w_theta))  # N×L×1
        b = F.conv2d(phi, w_phi).flatten(2)  # N×1×S
        return torch.relu(a + b) @ v / v.shape[1]
