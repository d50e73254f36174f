"""The oneDNN fused kernels equal the eager ops, and are only used where
nothing is differentiated."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmattn.models.layers import PointwiseConv2d
from mmattn.models.layers.fused import (AVAILABLE, can_fuse, fused_conv,
                                        fused_linear, gelu_attr)

CL = torch.channels_last


def cl(*shape):
    return torch.randn(*shape).contiguous(memory_format=CL)


def test_available_in_this_build():
    assert AVAILABLE  # the CPU wheels ship oneDNN; the speed claims rely on it


@pytest.mark.parametrize('gelu, binary', [(None, None), ('none', None),
                                          ('tanh', None), (None, 'add'),
                                          (None, 'mul')])
def test_fused_linear(gelu, binary):
    torch.manual_seed(0)
    conv = PointwiseConv2d(8, 12)
    x, other = cl(2, 8, 5, 7), cl(2, 12, 5, 7)
    expected = conv(x)
    if gelu:
        expected = F.gelu(expected, approximate=gelu)
    if binary == 'add':
        expected = expected + other
    elif binary == 'mul':
        expected = expected * other
    with torch.no_grad():
        out = fused_linear(x, conv, gelu=gelu, binary=binary, other=other)
    assert out.is_contiguous(memory_format=CL)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_fused_conv_gelu():
    torch.manual_seed(0)
    conv = nn.Conv2d(16, 16, 3, padding=1, groups=16)
    x = cl(2, 16, 9, 6)
    with torch.no_grad():
        out = fused_conv(x, conv)
    torch.testing.assert_close(out, F.gelu(conv(x)), rtol=1e-5, atol=1e-5)


def test_can_fuse_only_without_gradients():
    conv = PointwiseConv2d(4, 4).eval()
    x = cl(1, 4, 3, 3)
    with torch.no_grad():
        assert can_fuse(x, conv)
        assert not can_fuse(x.contiguous(), conv)  # NCHW
        assert not can_fuse(x.double(), conv.double())
        assert not can_fuse(x, conv.train())
        conv.eval()
        with torch.autocast('cpu', dtype=torch.bfloat16):
            assert not can_fuse(x, conv)
    assert not can_fuse(x, conv)  # grad mode, parameters require grad
    conv.requires_grad_(False)
    assert can_fuse(x, conv)  # frozen and no input grad: nothing to track
    assert not can_fuse(x.requires_grad_(), conv)


def test_gelu_attr():
    assert gelu_attr(nn.GELU()) == 'none'
    assert gelu_attr(nn.GELU(approximate='tanh')) == 'tanh'
    assert gelu_attr(nn.ReLU()) is None
