"""LKA: the official decomposition, its arguments, and its drop-in layers
(polyphase dilated conv, 1×1 conv as a matrix product) against the
straightforward convs (fp32 and bf16)."""
import pytest
import torch
import torch.nn.functional as F

from mmattn.models.attention.lka import LKA
from mmattn.models.layers.reference import to_reference


def reference(lka, x):
    """The official AttentionModule, written out with ``F.conv2d``."""
    conv0, dwd, conv1 = lka.conv0, lka.conv_spatial, lka.conv1
    attn = F.conv2d(x, conv0.weight, conv0.bias, padding=conv0.padding,
                    groups=conv0.groups)
    attn = F.conv2d(attn, dwd.weight, dwd.bias, padding=dwd.padding,
                    dilation=dwd.dilation, groups=dwd.groups)
    return x * F.conv2d(attn, conv1.weight, conv1.bias)


def test_official_decomposition():
    lka = LKA(8)
    assert lka.conv0.kernel_size == (5, 5) and lka.conv0.padding == (2, 2)
    assert lka.conv0.groups == 8
    dwd = lka.conv_spatial
    assert (dwd.kernel_size, dwd.dilation, dwd.padding, dwd.groups) == \
        ((7, 7), (3, 3), (9, 9), 8)
    assert lka.conv1.kernel_size == (1, 1) and lka.conv1.groups == 1
    assert sorted(k for k, _ in lka.named_parameters()) == [
        'conv0.bias', 'conv0.weight', 'conv1.bias', 'conv1.weight',
        'conv_spatial.bias', 'conv_spatial.weight'
    ]


def test_other_kernel_and_dilation():
    lka = LKA(4, kernel_size=13, dilation=2)  # 3×3, then 7×7 dilation 2
    assert lka.conv0.kernel_size == (3, 3)
    assert lka.conv_spatial.kernel_size == (7, 7)
    assert lka.conv_spatial.padding == (6, 6)
    x = torch.randn(1, 4, 11, 6)
    torch.testing.assert_close(lka(x), reference(lka, x))


@pytest.mark.parametrize('kwargs, name', [
    (dict(in_channels=0), 'in_channels'),
    (dict(in_channels=4, dilation=0), 'dilation'),
    (dict(in_channels=4, kernel_size=12, dilation=3), 'kernel_size'),
    (dict(in_channels=4, kernel_size=0), 'kernel_size'),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        LKA(**kwargs)


@pytest.mark.parametrize('shape', [(2, 8, 20, 17), (1, 8, 1, 1),
                                   (1, 8, 3, 30), (2, 8, 9, 9)])
@pytest.mark.parametrize('channels_last', [False, True])
def test_equals_reference_fp32(shape, channels_last):
    torch.manual_seed(0)
    lka = LKA(8)
    assert lka.conv_spatial.polyphase
    x = torch.randn(shape)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    out = lka(x)
    assert out.is_contiguous(memory_format=torch.channels_last
                             if channels_last else torch.contiguous_format)
    torch.testing.assert_close(out, reference(lka, x), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(to_reference(lka)(x), reference(lka, x))


def test_equals_reference_gradients():
    torch.manual_seed(0)
    lka = LKA(8)
    x = torch.randn(2, 8, 13, 10, requires_grad=True)
    lka(x).square().sum().backward()
    grads = [x.grad] + [p.grad for p in lka.parameters()]
    x.grad = None
    lka.zero_grad()
    reference(lka, x).square().sum().backward()
    for got, expected in zip(grads, [x.grad] +
                             [p.grad for p in lka.parameters()]):
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_equals_reference_bf16_autocast():
    torch.manual_seed(0)
    lka = LKA(16)
    x = torch.randn(2, 16, 19, 23)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        fast = lka(x)
        slow = to_reference(lka)(x)
    # the convs run in bf16; the final product with the fp32 input is fp32
    assert fast.dtype == slow.dtype
    # the same bf16 products in another order: a few bf16 ulps apart
    torch.testing.assert_close(fast.float(), slow.float(), rtol=2e-2,
                               atol=2e-2)
