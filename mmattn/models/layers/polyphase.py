"""Dilated convolution computed as a plain convolution on polyphase parts.

A stride-1 convolution with dilation ``d`` and padding ``d * q`` only ever
combines pixels whose coordinates agree modulo ``d``. Splitting the input
into its ``d × d`` polyphase sub-images ``x[:, :, i::d, j::d]``, running the
*undilated* kernel with padding ``q`` on each, and interleaving the results
back gives exactly the dilated result: the same products, summed in the
same order.

On CPU, oneDNN and ATen run dilated depthwise kernels far slower than their tap
count justifies; the plain kernel on the folded batch is several times faster
(VAN's depthwise 7×7, dilation 3, padding 9: 4-10× in fp32, more in
channels_last; ``tools/analysis_tools/benchmark_fast_path.py`` times the whole
backbone). The folding costs two copies of the tensor; every case the
rewrite does not cover runs ``F.conv2d``.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

__all__ = ['polyphase_conv2d', 'PolyphaseConv2d']


def _ceil_div(a, b):
    # (not -(-a // b): traced for ONNX, Div truncates negatives toward zero)
    return (a + b - 1) // b


def polyphase_conv2d(x: Tensor, weight: Tensor, bias=None, padding=(0, 0),
                     dilation=(1, 1), groups=1) -> Tensor:
    """``F.conv2d(x, weight, bias, 1, padding, dilation, groups)`` through
    the polyphase decomposition.

    Args:
        x (Tensor): N×C×H×W input, any H and W (it is zero-padded at the
            bottom/right to a multiple of the dilation, which the zero
            padding of the convolution implies anyway).
        weight (Tensor): Convolution weight.
        bias (Tensor, optional): Convolution bias. Defaults to None.
        padding (tuple[int, int]): Each a multiple of the matching dilation.
            Defaults to (0, 0).
        dilation (tuple[int, int]): Defaults to (1, 1).
        groups (int): Defaults to 1.

    Returns:
        Tensor: In the memory format of ``x`` (channels_last stays
        channels_last).
    """
    (ph, pw), (dh, dw) = padding, dilation
    if ph % dh or pw % dw:
        raise ValueError(f'padding {tuple(padding)} must be a multiple of '
                         f'dilation {tuple(dilation)}')
    n, c, h, w = x.shape
    hp, wp = _ceil_div(h, dh), _ceil_div(w, dw)
    pad = (0, wp * dw - w, 0, hp * dh - h)
    conv = dict(bias=bias, padding=(ph // dh, pw // dw), groups=groups)
    kh, kw = weight.shape[-2:]
    ho, wo = h + 2 * ph - dh * (kh - 1), w + 2 * pw - dw * (kw - 1)
    if x.is_contiguous(memory_format=torch.channels_last) \
            and not x.is_contiguous():
        # N×H×W×C view: fold (N, i, j) into the batch in one copy and hand
        # the convolution a channels_last tensor.
        x = F.pad(x.permute(0, 2, 3, 1), (0, 0) + pad)
        x = x.reshape(n, hp, dh, wp, dw, c).permute(0, 2, 4, 1, 3, 5)
        x = x.reshape(n * dh * dw, hp, wp, c).permute(0, 3, 1, 2)
        y = F.conv2d(x, weight, **conv)
        co, yh, yw = y.shape[1:]
        y = y.permute(0, 2, 3, 1).reshape(n, dh, dw, yh, yw, co)
        y = y.permute(0, 3, 1, 4, 2, 5).reshape(n, yh * dh, yw * dw, co)
        return y[:, :ho, :wo].permute(0, 3, 1, 2).contiguous(
            memory_format=torch.channels_last)
    x = F.pad(x, pad).reshape(n, c, hp, dh, wp, dw).permute(0, 3, 5, 1, 2, 4)
    y = F.conv2d(x.reshape(n * dh * dw, c, hp, wp), weight, **conv)
    co, yh, yw = y.shape[1:]
    y = y.reshape(n, dh, dw, co, yh, yw).permute(0, 3, 4, 1, 5, 2)
    return y.reshape(n, co, yh * dh, yw * dw)[:, :, :ho, :wo].contiguous()


class PolyphaseConv2d(nn.Conv2d):
    """``nn.Conv2d`` whose dilated stride-1 case runs as
    :func:`polyphase_conv2d`.

    Same parameters, state dict keys and result as ``nn.Conv2d`` (up to
    float rounding); it is a drop-in replacement. The polyphase path applies
    to CPU tensors when the stride is 1, some dilation is above 1,
    ``padding_mode='zeros'`` and each padding is an int multiple of its
    dilation; otherwise it is ``nn.Conv2d``. On GPUs the vendor kernels
    handle dilation themselves and the rewrite has not been measured.

    Args:
        *args: As ``nn.Conv2d``.
        **kwargs: As ``nn.Conv2d``.

    Example:
        >>> import torch
        >>> conv = PolyphaseConv2d(8, 8, 7, padding=9, dilation=3, groups=8)
        >>> x = torch.randn(1, 8, 20, 17)
        >>> torch.allclose(conv(x), conv._conv_forward(x, conv.weight,
        ...                                            conv.bias), atol=1e-5)
        True
    """

    @property
    def polyphase(self) -> bool:
        """Whether :meth:`forward` takes the polyphase path (on CPU)."""
        return (self.stride == (1, 1)
                and self.padding_mode == 'zeros'
                and not isinstance(self.padding, str)
                and max(self.dilation) > 1
                and all(p % d == 0
                        for p, d in zip(self.padding, self.dilation)))

    def forward(self, x: Tensor) -> Tensor:
        if not (self.polyphase and x.is_cpu):
            return super().forward(x)
        return polyphase_conv2d(x, self.weight, self.bias, self.padding,
                                self.dilation, self.groups)
