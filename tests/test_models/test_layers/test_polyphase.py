"""PolyphaseConv2d equals nn.Conv2d wherever its fast path applies."""
import pytest
import torch
import torch.nn.functional as F

from mmattn.models.layers import PolyphaseConv2d, polyphase_conv2d


@pytest.mark.parametrize('kernel, dilation, padding, groups, size', [
    (7, 3, 9, 8, (20, 17)),  # VAN's LKA, sizes not multiples of 3
    (7, 3, 9, 8, (1, 1)),
    (3, 2, 2, 1, (9, 10)),  # dense conv
    (5, (2, 3), (4, 6), 2, (7, 11)),  # per-axis dilation, grouped
    (3, 4, 0, 4, (13, 12)),  # no padding
])
@pytest.mark.parametrize('channels_last', [False, True])
def test_equals_dilated_conv(kernel, dilation, padding, groups, size,
                             channels_last):
    torch.manual_seed(0)
    conv = PolyphaseConv2d(8, 8, kernel, padding=padding, dilation=dilation,
                           groups=groups)
    assert conv.polyphase
    x = torch.randn(2, 8, *size)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    out = conv(x)
    expected = F.conv2d(x, conv.weight, conv.bias, 1, conv.padding,
                        conv.dilation, groups)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    # the output keeps the input's layout (a 1×1 map is both)
    assert out.is_contiguous(memory_format=torch.channels_last) or \
        not channels_last


@pytest.mark.parametrize('kwargs', [
    dict(stride=2, padding=3, dilation=3),  # strided
    dict(padding=4, dilation=3),  # padding not a multiple of dilation
    dict(padding=3),  # not dilated
    dict(padding='same', dilation=3),
])
def test_falls_back_to_conv2d(kwargs):
    conv = PolyphaseConv2d(4, 4, 7, **kwargs)
    assert not conv.polyphase
    x = torch.randn(1, 4, 16, 15)
    torch.testing.assert_close(
        conv(x), conv._conv_forward(x, conv.weight, conv.bias))


def test_function_rejects_bad_padding():
    with pytest.raises(ValueError, match='padding'):
        polyphase_conv2d(torch.randn(1, 1, 8, 8), torch.randn(1, 1, 3, 3),
                         padding=(1, 1), dilation=(2, 2))


def test_gpu_style_fallback_on_non_cpu_tensors():
    conv = PolyphaseConv2d(4, 4, 7, padding=9, dilation=3, groups=4,
                           device='meta')
    assert conv.polyphase
    out = conv(torch.empty(1, 4, 16, 15, device='meta'))  # not on CPU
    assert out.shape == (1, 4, 16, 15)


def test_bf16_autocast():
    torch.manual_seed(0)
    conv = PolyphaseConv2d(16, 16, 7, padding=9, dilation=3, groups=16)
    x = torch.randn(1, 16, 25, 31)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        fast = conv(x)
        expected = F.conv2d(x, conv.weight, conv.bias, 1, 9, 3, 16)
    assert fast.dtype == torch.bfloat16
    torch.testing.assert_close(fast.float(), expected.float(), rtol=2e-2,
                               atol=2e-2)
