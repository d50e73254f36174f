"""SCConv against the official ``SCConv`` and ``SCBottleneck`` paths, its
rounding-up pool, and bad arguments."""
import pytest
import torch
import torch.nn.functional as F

from mmattn.models.attention.scconv import SCConv


def reference(block, x):
    """Official: ``k1`` on one half; on the other ``k4(k3(x) * σ(x +
    interpolate(k2(x))))`` with a flooring average pool; ReLU after both."""
    x_a, x_b = x.chunk(2, 1)
    pool, conv2 = block.k2
    down = conv2(F.avg_pool2d(x_b, pool.kernel_size, pool.stride))
    gate = torch.sigmoid(x_b + F.interpolate(down, x_b.shape[2:]))
    out_b = block.k4(block.k3(x_b) * gate)
    return torch.cat([F.relu(block.k1(x_a)), F.relu(out_b)], 1)


def randomise_norms(block):
    for m in block.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2)


@pytest.mark.parametrize('size', [(8, 12), (16, 4)])
def test_matches_official_for_sizes_divisible_by_r(size):
    torch.manual_seed(0)
    block = SCConv(16).eval()
    randomise_norms(block)
    x = torch.randn(2, 16, *size)
    torch.testing.assert_close(block(x), reference(block, x))


def test_pool_rounds_up_for_other_sizes():
    torch.manual_seed(0)
    block = SCConv(8).eval()
    x = torch.randn(1, 4, 9, 3)
    pooled = block.k2[0](x)
    assert pooled.shape[2:] == (3, 1)
    # The last row of windows holds the one remaining row of the input.
    torch.testing.assert_close(pooled[:, :, 2, 0], x[:, :, 8].mean(-1))
    assert block(torch.randn(1, 8, 1, 1)).shape == (1, 8, 1, 1)


def test_structure():
    block = SCConv(64, pooling_r=2)
    for k in (block.k1, block.k2[1], block.k3, block.k4):
        assert k.conv.weight.shape == (32, 32, 3, 3) and k.conv.bias is None
        assert k.with_norm and not k.with_activation
    assert block.k2[0].kernel_size == 2


@pytest.mark.parametrize('kwargs, name', [
    (dict(in_channels=15), 'in_channels'),
    (dict(in_channels=16, pooling_r=0), 'pooling_r')])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        SCConv(**kwargs)
