"""StripPooling against the official ``SPBlock`` (adaptive strip pools,
expand, sum)."""
import torch
import torch.nn.functional as F
from torch import nn

from mmattn.models.attention.strip_pooling import StripPooling


def bn(x, norm):
    return F.batch_norm(x, norm.running_mean, norm.running_var, norm.weight,
                        norm.bias, False, 0., norm.eps)


def official(block, x):
    _, _, h, w = x.shape
    x1 = bn(block.conv_h(nn.AdaptiveAvgPool2d((None, 1))(x)), block.norm_h)
    x2 = bn(block.conv_w(nn.AdaptiveAvgPool2d((1, None))(x)), block.norm_w)
    gate = block.fuse(F.relu(x1.expand(-1, -1, h, w) +
                             x2.expand(-1, -1, h, w))).sigmoid()
    return x * gate


def test_matches_the_official_block():
    torch.manual_seed(0)
    block = StripPooling(16).eval()
    with torch.no_grad():
        for norm in (block.norm_h, block.norm_w):
            norm.running_mean.normal_()
            norm.running_var.uniform_(0.5, 2)
    for size in [(7, 9), (1, 1), (12, 5)]:
        x = torch.randn(2, 16, *size)
        torch.testing.assert_close(block(x), official(block, x))


def test_structure():
    block = StripPooling(32)
    assert block.conv_h.kernel_size == (3, 1) and block.conv_h.bias is None
    assert block.conv_w.kernel_size == (1, 3) and block.conv_w.bias is None
    assert block.fuse.weight.shape == (32, 32, 1, 1)
    assert block.fuse.bias is not None
