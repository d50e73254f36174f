"""LocalRelation against a pixel-by-pixel loop over the window (the
official op's indexing: taps outside the image left out, groups of
contiguous channels), the geometry prior, memory that never holds C·k²·H·W
numbers, use in place of mmdet ResNet's 3×3 convs, torch.compile and bad
arguments."""
import pytest
import torch
from block_checks import (assert_replaces_bottleneck_conv,
                          largest_tensor_of_step, randomised)

from mmattn.models.attention.local_relation import LocalRelation


def geometry_prior(block, dy, dx):
    """θ_g(Δ) for every group g: the two-layer network on one offset."""
    first, second = block.geometry[0], block.geometry[2]
    hidden = torch.relu(first.weight[..., 0, 0] @ torch.tensor(
        [float(dy), float(dx)]) + first.bias)
    return second.weight[..., 0, 0] @ hidden + second.bias


def reference(block, x):
    """``y_g(i) = Σ_j softmax_j(Φ(q_g(i), k_g(j)) + θ_g(j - i)) x_g(j)``
    pixel by pixel over the in-image taps of each window."""
    n, c, h, w = x.shape
    q, k = block.query(x), block.key(x)
    s, d, half = block.stride, block.dilation, block.kernel_size // 2
    groups, m = block.groups, c // block.groups
    out_h, out_w = -(-h // s), -(-w // s)
    out = torch.zeros(n, c, out_h, out_w)
    for i in range(out_h):
        for j in range(out_w):
            ci, cj = i * s, j * s
            logits, values = [], []
            for a in range(-half, half + 1):
                for b in range(-half, half + 1):
                    y, z = ci + a * d, cj + b * d
                    if not (0 <= y < h and 0 <= z < w):
                        continue
                    if block.composability == 'dot_product':
                        phi = q[:, :, ci, cj] * k[:, :, y, z]
                    else:
                        phi = -(q[:, :, ci, cj] - k[:, :, y, z])**2
                    logits.append(phi + geometry_prior(block, a, b))
                    values.append(x[:, :, y, z].view(n, groups, m))
            weights = torch.stack(logits, -1).softmax(-1)  # N×G×taps
            out[:, :, i, j] = (weights[:, :, None] *
                               torch.stack(values, -1)).sum(-1).view(n, c)
    return out


@pytest.mark.parametrize(
    'kwargs, size',
    [
        (dict(kernel_size=3), (5, 4)),
        (dict(kernel_size=5, composability='squared_difference'), (6, 7)),
        (dict(kernel_size=3, dilation=2, share_planes=4), (5, 6)),
        (dict(kernel_size=3, stride=2), (5, 6)),
        (dict(kernel_size=7), (3, 2)),  # window > image
    ])
def test_matches_the_loop_over_each_window(kwargs, size):
    block = randomised(LocalRelation(16, **kwargs), std=0.5)
    x = torch.randn(2, 16, *size)
    with torch.no_grad():
        torch.testing.assert_close(
            block(x), reference(block, x), rtol=1e-4, atol=1e-5)


def test_geometry_prior_is_one_window_per_group():
    block = randomised(
        LocalRelation(32, kernel_size=5), std=0.5)  # 4 groups of 8
    prior = block.geometry_prior()
    assert prior.shape == (4, 25)
    with torch.no_grad():
        torch.testing.assert_close(prior[:, 0], geometry_prior(block, -2, -2))
        torch.testing.assert_close(prior[:, 7], geometry_prior(block, -1, 0))


def test_one_pixel_attends_to_itself():
    block = randomised(LocalRelation(16), std=0.5)
    x = torch.randn(3, 16, 1, 1)
    with torch.no_grad():
        torch.testing.assert_close(block(x), x)


@pytest.mark.parametrize('train', [False, True])
def test_memory_is_hw_k2_c_over_share(train):
    """No tensor of H·W·k²·C: the values are summed tap by tap."""
    block = randomised(LocalRelation(64), std=0.5)  # k = 7, m = 8
    x = torch.randn(1, 64, 12, 12)
    numel, op = largest_tensor_of_step(block, x, train)
    assert numel <= 144 * 49 * 64 // 8, op  # H·W·k²·C/m


def test_replaces_mmdet_resnets_3x3_convs():
    assert_replaces_bottleneck_conv(LocalRelation)


@pytest.mark.parametrize(
    'kwargs, arg',
    [
        (dict(out_channels=32), 'out_channels'),
        (dict(kernel_size=2), 'kernel_size'),
        (dict(window_size=True), 'window_size'),
        (dict(stride=0), 'stride'),
        (dict(dilation=1.), 'dilation'),
        (dict(share_planes=3), 'share_planes'),  # does not divide 16
        (dict(composability='cosine'), 'composability'),
    ])
def test_bad_arguments(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        LocalRelation(16, **kwargs)
