"""1×1 convolution of a channels_last map as one matrix product.

A channels_last N×C×H×W tensor is an N×H×W×C array in memory, so a 1×1
convolution is ``F.linear`` on its N×H×W×C view: one GEMM, no copies, and on
CPU faster than either convolution path (oneDNN or im2col) that
``F.conv2d`` picks for 1×1 kernels.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..utils import memory_format_of

__all__ = ['PointwiseConv2d', 'pointwise_conv']


def pointwise_conv(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
                   scale: Optional[Tensor] = None) -> Tensor:
    """``F.conv2d(x, weight, bias)`` for a 1×1 ``weight`` (C_out×C_in×1×1),
    computed as ``F.linear`` on the N×H×W×C view of ``x``.

    Args:
        x (Tensor): N×C_in×H×W, best channels_last (otherwise the view is
            copied once).
        weight (Tensor): C_out×C_in×1×1.
        bias (Tensor, optional): C_out. Defaults to None.
        scale (Tensor, optional): C_out factors the output is multiplied by,
            folded into ``weight`` and ``bias`` (a layer scale then costs no
            pass over the output). Defaults to None.

    Returns:
        Tensor: N×C_out×H×W, channels_last.
    """
    weight = weight.flatten(1)
    if scale is not None:
        weight = weight * scale[:, None]
        bias = None if bias is None else bias * scale
    return F.linear(x.permute(0, 2, 3, 1), weight, bias).permute(0, 3, 1, 2)


class PointwiseConv2d(nn.Conv2d):
    """A 1×1 ``nn.Conv2d`` (same parameters, same state-dict keys) that runs
    :func:`pointwise_conv` on channels_last inputs and ``F.conv2d`` on
    others; the output keeps the input's memory format.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        bias (bool): Learn a bias. Defaults to True.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 bias: bool = True):
        super().__init__(in_channels, out_channels, 1, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        if memory_format_of(x) == torch.channels_last:
            return pointwise_conv(x, self.weight, self.bias)
        return super().forward(x)
