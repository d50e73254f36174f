"""Folding of batch norms and per-channel scales into convolutions, for
inference-only (deploy) forms of a model."""
import copy
from typing import Tuple

import torch
import torch.nn as nn
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

__all__ = ['bn_affine', 'fuse_conv_bn', 'fuse_bn_conv', 'scale_conv']


@torch.no_grad()
def bn_affine(bn: _BatchNorm) -> Tuple[Tensor, Tensor]:
    """Eval-mode ``bn(x)`` as ``x * scale + shift``, per channel."""
    scale = torch.rsqrt(bn.running_var + bn.eps)
    if bn.weight is not None:
        scale = scale * bn.weight
    shift = -bn.running_mean * scale
    if bn.bias is not None:
        shift = shift + bn.bias
    return scale, shift


def _with_params(conv: nn.Conv2d, weight: Tensor, bias: Tensor) -> nn.Conv2d:
    """A copy of ``conv`` (same class and settings) with new parameters."""
    fused = copy.deepcopy(conv)
    fused.weight = nn.Parameter(weight.detach().clone())
    fused.bias = nn.Parameter(bias.detach().clone())
    return fused


@torch.no_grad()
def fuse_conv_bn(conv: nn.Conv2d, bn: _BatchNorm) -> nn.Conv2d:
    """One conv computing ``bn(conv(x))`` (bn in eval mode)."""
    scale, shift = bn_affine(bn)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(shift)
    return _with_params(conv, conv.weight * scale.view(-1, 1, 1, 1),
                        bias * scale + shift)


@torch.no_grad()
def fuse_bn_conv(bn: _BatchNorm, conv: nn.Conv2d) -> nn.Conv2d:
    """One conv computing ``conv(bn(x))`` (bn in eval mode).

    Exact only where the conv sees no zero padding (a 1×1 conv, or any conv
    with ``padding=0``): padded zeros would become ``shift`` otherwise.
    """
    if isinstance(conv.padding, str) or any(conv.padding):
        raise ValueError('fuse_bn_conv needs a conv without padding, got '
                         f'padding={conv.padding!r}')
    scale, shift = bn_affine(bn)
    groups, weight = conv.groups, conv.weight
    per_in = weight.shape[1]
    scale_in = scale.view(groups, 1, per_in)
    shift_in = shift.view(groups, 1, per_in)
    w = weight.view(groups, -1, per_in, *weight.shape[2:])
    extra = (w.sum((-2, -1)) * shift_in).sum(-1).flatten()
    bias = conv.bias if conv.bias is not None else torch.zeros_like(extra)
    fused_w = w * scale_in.view(groups, 1, per_in, 1, 1)
    return _with_params(conv, fused_w.view_as(weight), bias + extra)


@torch.no_grad()
def scale_conv(conv: nn.Conv2d, scale: Tensor, shift=None) -> nn.Conv2d:
    """One conv computing ``conv(x) * scale (+ shift)`` per output channel."""
    bias = conv.bias if conv.bias is not None else torch.zeros_like(scale)
    bias = bias * scale + (shift if shift is not None else 0)
    return _with_params(conv, conv.weight * scale.view(-1, 1, 1, 1), bias)
