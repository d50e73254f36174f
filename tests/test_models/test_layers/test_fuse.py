"""Folding batch norms and scales into convs gives the same outputs."""
import pytest
import torch
import torch.nn as nn

from mmattn.models.layers import (PointwiseConv2d, fuse_bn_conv, fuse_conv_bn,
                                  scale_conv)


def random_bn(channels, affine=True):
    bn = nn.BatchNorm2d(channels, affine=affine)
    with torch.no_grad():
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.5, 2)
        if affine:
            bn.weight.normal_()
            bn.bias.normal_()
    return bn.eval()


@pytest.mark.parametrize('bias, affine', [(True, True), (False, False)])
def test_fuse_conv_bn(bias, affine):
    torch.manual_seed(0)
    conv, bn = nn.Conv2d(4, 6, 3, 2, 1, bias=bias), random_bn(6, affine)
    x = torch.randn(2, 4, 9, 8)
    fused = fuse_conv_bn(conv, bn)
    torch.testing.assert_close(fused(x), bn(conv(x)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('conv', [
    nn.Conv2d(8, 6, 1), PointwiseConv2d(8, 6, bias=False),
    nn.Conv2d(8, 4, 3, groups=2)  # grouped, unpadded
])
def test_fuse_bn_conv(conv):
    torch.manual_seed(0)
    bn = random_bn(8)
    x = torch.randn(2, 8, 7, 5)
    fused = fuse_bn_conv(bn, conv)
    assert type(fused) is type(conv)
    torch.testing.assert_close(fused(x), conv(bn(x)), rtol=1e-5, atol=1e-5)


def test_fuse_bn_conv_rejects_padding():
    with pytest.raises(ValueError, match='padding'):
        fuse_bn_conv(random_bn(4), nn.Conv2d(4, 4, 3, padding=1))


def test_scale_conv():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 5, 1)
    scale, shift = torch.randn(5), torch.randn(5)
    x = torch.randn(1, 3, 4, 4)
    expected = conv(x) * scale.view(-1, 1, 1) + shift.view(-1, 1, 1)
    torch.testing.assert_close(scale_conv(conv, scale, shift)(x), expected)
