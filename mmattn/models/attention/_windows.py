"""k×k windows around every pixel, visited tap by tap.

Local self-attention blocks (SAN, LR-Net, SASA) compare each output pixel
with the k×k input pixels around it and sum those pixels' values with
per-tap weights.
Unfolding the values (``F.unfold``) would hold C·k²·H·W numbers; here the
window is visited tap by tap on a padded map, each tap a strided view of it
(no copy), so the weighted sum holds one C·H·W map besides its weights:
memory O(H·W·k²·G) for weights shared by groups of C/G channels, never
O(H·W·k²·C) (let alone O((H·W)²)).

Nothing here is registered.
"""
from typing import Iterator, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from ..utils import odd_kernel_size, positive_int


def window_arguments(kernel_size: int, window_size: Optional[int], stride: int,
                     dilation: int) -> Tuple[int, int, int]:
    """Checked ``(kernel_size, stride, dilation)`` of a block that stands
    in for a k×k conv (mmdet ResNet's ``dcn`` slot passes the conv's own
    ``kernel_size=3``; ``window_size`` overrides it).

    Raises:
        ValueError: naming the argument: the window size must be a positive
            odd int, stride 1 or 2, dilation a positive int.
    """
    size = odd_kernel_size(kernel_size) if window_size is None \
        else odd_kernel_size(window_size, 'window_size')
    if isinstance(stride, bool) or stride not in (1, 2):
        raise ValueError(f'stride must be 1 or 2, got {stride!r}')
    return size, stride, positive_int(dilation, 'dilation')


def reflect_pad(x: Tensor, pad: int) -> Tensor:
    """``x`` (…×H×W) padded by ``pad`` on each side of H and W by
    reflection (without repeating the edge), for any size.

    Where ``pad < H`` this is ``F.pad(x, [pad] * 4, mode='reflect')``, the
    single reflection of SAN's CUDA kernels; beyond it the reflection
    repeats (period 2(H - 1)), and a one-pixel side is replicated, where
    PyTorch's reflection (and SAN's kernels) are undefined.
    """

    def index(size):
        i = torch.arange(-pad, size + pad, device=x.device).abs()
        period = 2 * size - 2 if size > 1 else 1
        i = i % period
        return torch.where(i >= size, period - i, i)

    return x.index_select(-2, index(x.shape[-2])).index_select(
        -1, index(x.shape[-1]))


def window_taps(padded: Tensor,
                kernel_size: int,
                out_size: Tuple[int, int],
                stride: int = 1,
                dilation: int = 1) -> Iterator[Tensor]:
    """The k² views of ``padded`` (…×(H + 2p)×(W + 2p), ``p = dilation ·
    (k // 2)``), one per window tap in row-major order: view ``t`` holds,
    at output pixel ``(i, j)``, the input pixel at offset ``t`` from
    ``(i · stride, j · stride)``."""
    h, w = out_size
    span_h, span_w = (h - 1) * stride + 1, (w - 1) * stride + 1
    for row in range(kernel_size):
        for col in range(kernel_size):
            top, left = row * dilation, col * dilation
            yield padded[..., top:top + span_h:stride,
                         left:left + span_w:stride]


def windows(padded: Tensor,
            kernel_size: int,
            out_size: Tuple[int, int],
            stride: int = 1,
            dilation: int = 1) -> Tensor:
    """The taps of :func:`window_taps` stacked: …×k²×H'×W' (the layout of
    ``F.unfold`` with the channels apart). For the narrow maps a window is
    compared with (keys, positions), not for the values."""
    return torch.stack(
        list(window_taps(padded, kernel_size, out_size, stride, dilation)),
        dim=-3)


def in_image(like: Tensor,
             kernel_size: int,
             out_size: Tuple[int, int],
             stride: int = 1,
             dilation: int = 1) -> Tensor:
    """1×1×k²×H'×W' bools: whether each tap of :func:`windows` on the
    zero-padded H×W map of ``like`` (…×H×W) falls inside the map, for
    masking the padding out of a softmax over the window."""
    pad = dilation * (kernel_size // 2)
    ones = F.pad(like.new_ones(1, 1, *like.shape[-2:]), [pad] * 4)
    return windows(ones, kernel_size, out_size, stride, dilation) > 0.5


def aggregate(padded: Tensor,
              weights: Tensor,
              kernel_size: int,
              stride: int = 1,
              dilation: int = 1) -> Tensor:
    """``Σ_t weights[..., t, :, :] · tap_t(padded)``: the window's values
    summed with per-tap weights, one tap at a time.

    Args:
        padded (Tensor): Padded values, …×(H + 2p)×(W + 2p).
        weights (Tensor): …×k²×H'×W', broadcastable against the values'
            leading dims (a group of channels shares a weight through a
            dim of size 1).
        kernel_size (int): Window size k.
        stride (int): Output stride. Defaults to 1.
        dilation (int): Spacing of the taps. Defaults to 1.

    Returns:
        Tensor: …×H'×W', the broadcast of the values' and weights' leading
        dims.
    """
    out_size = weights.shape[-2:]
    taps = window_taps(padded, kernel_size, out_size, stride, dilation)
    out = None
    for t, tap in enumerate(taps):
        term = weights[..., t, :, :] * tap
        out = term if out is None else out + term
    return out
