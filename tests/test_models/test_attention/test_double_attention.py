"""DoubleAttention against the paper's equations: gathering with attention
maps over positions, distribution with attention vectors over descriptors,
and the reassociated (non-local-like) form it avoids."""
import pytest
import torch

from mmattn.models.attention.double_attention import DoubleAttention


def reassociated(block, x):
    """``A · (softmax_hw(B)ᵀ · softmax_n(V))``: the same product through an
    HW×HW matrix (the paper's comparison with non-local blocks)."""
    n, _, h, w = x.shape
    a = block.conv_a(x).flatten(2)
    b = block.conv_b(x).flatten(2).softmax(-1)
    v = block.conv_v(x).flatten(2).softmax(1)
    pairwise = b.transpose(1, 2) @ v  # N×HW×HW
    return x + block.conv_out((a @ pairwise).view(n, -1, h, w))


def test_matches_the_reassociated_product():
    torch.manual_seed(0)
    block = DoubleAttention(32, num_descriptors=6)
    x = torch.randn(2, 32, 7, 5)
    with torch.no_grad():
        torch.testing.assert_close(block(x), reassociated(block, x))


def test_softmax_axes():
    """Each descriptor pools with a distribution over the positions; a
    constant B makes it the mean; a constant V spreads every descriptor
    evenly: the output is then the mean of A, everywhere."""
    block = DoubleAttention(16)
    with torch.no_grad():
        for conv in (block.conv_b, block.conv_v):
            conv.weight.zero_()
            conv.bias.zero_()
    x = torch.randn(2, 16, 5, 6)
    with torch.no_grad():
        mean_a = block.conv_a(x).mean((2, 3), keepdim=True)
        expected = x + block.conv_out(mean_a.expand(-1, -1, 5, 6))
        torch.testing.assert_close(block(x), expected)


def test_widths():
    block = DoubleAttention(64)
    assert block.conv_a.out_channels == 16
    assert block.conv_b.out_channels == block.conv_v.out_channels == 16
    block = DoubleAttention(64, ratio=1 / 2, num_descriptors=8)
    assert block.conv_a.out_channels == 32 and block.conv_v.out_channels == 8


@pytest.mark.parametrize('kwargs,arg', [
    (dict(num_descriptors=0), 'num_descriptors'),
    (dict(ratio=1 / 32), 'ratio'),
])
def test_bad_arguments(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        DoubleAttention(16, **kwargs)
