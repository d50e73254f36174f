"""Element-wise ops that work in place when autograd does not record them.

At inference each fresh intermediate map costs an allocation (on Linux a
large one is fresh pages, zeroed by the kernel) and a pass over memory.
Overwriting a conv output that nothing else holds avoids both. Under
autograd these ops fall back to their out-of-place form, since GELU's and a
product's backward need the values an in-place op would overwrite.
Callers must own ``x`` (a fresh intermediate, not a module input).
"""
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['gelu_', 'mul_']


def _recorded(*tensors: Tensor) -> bool:
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


def gelu_(x: Tensor) -> Tensor:
    """``F.gelu(x)`` (exact, erf form), in place on ``x`` when not
    recorded by autograd."""
    return F.gelu(x) if _recorded(x) else torch._C._nn.gelu_(x)


def mul_(x: Tensor, other: Tensor) -> Tensor:
    """``x * other``, in place on ``x`` when not recorded by autograd."""
    return x * other if _recorded(x, other) else x.mul_(other)
