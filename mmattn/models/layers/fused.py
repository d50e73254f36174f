"""oneDNN kernels that fuse a conv (or a 1×1 conv as a linear) with the
pointwise op after it, for CPU inference.

A memory-bound pass (GELU, a bias broadcast, an elementwise product or sum)
over a large activation costs about as much on CPU as a depthwise conv over
it. PyTorch's oneDNN backend exposes convolution and linear kernels with
such ops fused as post-ops (``torch.ops.mkldnn._convolution_pointwise`` and
``_linear_pointwise``, the kernels ``torch.compile`` uses on CPU). They have
no autograd formula, so :func:`can_fuse` allows them only where nothing is
differentiated, on float32 channels_last CPU tensors, outside autocast, and
where this PyTorch build has them; callers fall back to the eager ops
otherwise. Results equal the eager ops up to float rounding.
"""
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

__all__ = ['can_fuse', 'fused_linear', 'fused_conv', 'gelu_attr']

_MKLDNN = getattr(torch.ops, 'mkldnn', None)


def _available() -> bool:
    try:
        return (torch.backends.mkldnn.is_available()
                and hasattr(_MKLDNN._linear_pointwise, 'binary')
                and hasattr(_MKLDNN._convolution_pointwise, 'default'))
    except (AttributeError, RuntimeError):
        return False


AVAILABLE = _available()


def can_fuse(x: Tensor, module: nn.Module) -> bool:
    """Whether ``module`` may run fused kernels on ``x``: eval mode, no
    gradient needed, float32 channels_last CPU input, no autocast."""
    if not AVAILABLE or module.training or not x.is_cpu \
            or x.dtype != torch.float32 or x.dim() != 4 \
            or not x.is_contiguous(memory_format=torch.channels_last) \
            or torch.is_autocast_enabled('cpu'):
        return False
    return not torch.is_grad_enabled() or not (
        x.requires_grad or any(p.requires_grad for p in module.parameters()))


def gelu_attr(act: nn.Module) -> Optional[str]:
    """The oneDNN post-op algorithm of a GELU module (``'none'`` for the
    exact erf form, ``'tanh'``), or None if ``act`` is not a GELU."""
    return act.approximate if isinstance(act, nn.GELU) else None


def fused_linear(x: Tensor, conv: nn.Conv2d, gelu: Optional[str] = None,
                 binary: Optional[str] = None,
                 other: Optional[Tensor] = None) -> Tensor:
    """A 1×1 ``conv`` on channels_last ``x`` as one oneDNN matmul, with the
    bias and optionally GELU (``gelu='none'`` or ``'tanh'``) or an
    elementwise ``binary`` op with ``other`` (``'add'``, ``'mul'``; both
    channels_last, shaped like the output) fused."""
    weight = conv.weight.flatten(1)
    x = x.permute(0, 2, 3, 1)
    if binary is not None:
        y = _MKLDNN._linear_pointwise.binary(x, other.permute(0, 2, 3, 1),
                                             weight, conv.bias, binary)
    elif gelu is not None:
        y = _MKLDNN._linear_pointwise(x, weight, conv.bias, 'gelu', [], gelu)
    else:
        y = _MKLDNN._linear_pointwise(x, weight, conv.bias, 'none', [], '')
    return y.permute(0, 3, 1, 2)


def fused_conv(x: Tensor, conv: nn.Conv2d, gelu: str = 'none') -> Tensor:
    """``GELU(conv(x))`` as one oneDNN convolution (channels_last in and
    out)."""
    return _MKLDNN._convolution_pointwise(x, conv.weight, conv.bias,
                                          conv.padding, conv.stride,
                                          conv.dilation, conv.groups, 'gelu',
                                          [], gelu)
