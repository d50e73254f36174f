"""SAN's pairwise and patchwise self-attention against a pixel-by-pixel
loop over the window (the official CUDA kernels' indexing: reflected
borders, weight channel ``c mod (C / share_planes)``), memory that never
holds C·k²·H·W numbers, use in place of mmdet ResNet's 3×3 convs,
torch.compile and bad arguments."""
import pytest
import torch
from block_checks import (assert_replaces_bottleneck_conv,
                          largest_tensor_of_step, randomised)

from mmattn.models.attention.san import SANPairwise, SANPatchwise, position


def reflect(i, size):
    """The ``*_refpad`` kernels' index: one reflection, no edge repeat."""
    if i < 0:
        i = -i
    if i >= size:
        i = 2 * (size - 1) - i
    return i


def window(block, i, j, size):
    """Input pixels of the window around output pixel (i, j)."""
    k, d, s = block.kernel_size, block.dilation, block.stride
    half = k // 2
    return [(reflect(i * s + (a - half) * d,
                     size[0]), reflect(j * s + (b - half) * d, size[1]))
            for a in range(k) for b in range(k)]


def reference(block, x):
    """``y_i = Σ_j α_j ⊙ β(x_j)`` pixel by pixel, the weights of each
    pixel's window through ``conv_w`` (pointwise in eval)."""
    n, _, h, w = x.shape
    x1, x2, x3 = block.conv1(x), block.conv2(x), block.conv3(x)
    pairwise = isinstance(block, SANPairwise)
    if pairwise:
        pos = block.conv_p(position(h, w, like=x)).expand(n, -1, -1, -1)
    s, wc = block.stride, block.weight_channels
    out_h, out_w = -(-h // s), -(-w // s)
    out = torch.zeros(n, block.out_channels, out_h, out_w)
    for i in range(out_h):
        for j in range(out_w):
            ci, cj = i * s, j * s
            taps = window(block, i, j, (h, w))
            if pairwise:
                rel = torch.stack([
                    torch.cat([
                        x1[:, :, ci, cj] - x2[:, :, y, z],
                        pos[:, :, ci, cj] - pos[:, :, y, z]
                    ], 1) for y, z in taps
                ], -1)  # N×(rel + 2)×k²
                weights = block.conv_w(rel[..., None]).softmax(2)[..., 0]
            else:
                patch = torch.cat([x1[:, :, ci, cj]] + [
                    torch.stack([x2[:, :, y, z]
                                 for y, z in taps], -1).flatten(1)
                ], 1)  # N×rel·(1 + k²), channel-major
                weights = block.conv_w(patch[..., None,
                                             None]).view(n, wc, len(taps))
            for c in range(block.out_channels):
                values = torch.stack([x3[:, c, y, z] for y, z in taps], -1)
                out[:, c, i, j] = (weights[:, c % wc] * values).sum(-1)
    return out


VARIANTS = [SANPairwise, SANPatchwise]


@pytest.mark.parametrize('cls', VARIANTS)
@pytest.mark.parametrize('kwargs, size', [
    (dict(kernel_size=3), (5, 4)),
    (dict(kernel_size=5, share_planes=4), (6, 7)),
    (dict(kernel_size=3, dilation=2, out_channels=8), (5, 6)),
    (dict(kernel_size=3, stride=2), (5, 6)),
])
def test_matches_the_loop_over_each_window(cls, kwargs, size):
    block = randomised(cls(16, rel_reduction=8, **kwargs), std=0.5)
    x = torch.randn(2, 16, *size)
    with torch.no_grad():
        torch.testing.assert_close(
            block(x), reference(block, x), rtol=1e-4, atol=1e-5)


def test_weight_networks_have_the_official_sizes():
    """``conv_w`` sizes of ``SAM`` in the official SAN10 (planes=256 in
    layer1: rel_planes 16, out_planes 64, share_planes 8, k=7)."""
    pair = SANPairwise(256, 64, rel_reduction=16)
    assert [m.weight.shape[:2] for m in pair.conv_w[2::3]] == [(16, 18),
                                                               (8, 16)]
    patch = SANPatchwise(256, 64, rel_reduction=16)
    assert [m.weight.shape[:2] for m in patch.conv_w[2::3]] == [(8, 800),
                                                                (392, 8)]


@pytest.mark.parametrize('cls', VARIANTS)
@pytest.mark.parametrize('train', [False, True])
def test_memory_is_hw_k2_c_over_share(cls, train):
    """No tensor of H·W·k²·C: the values are summed tap by tap."""
    block = randomised(cls(64), std=0.5)  # k = 7, share_planes = 8
    x = torch.randn(1, 64, 12, 12)
    numel, op = largest_tensor_of_step(block, x, train)
    assert numel <= 144 * 49 * 64 // 8, op  # H·W·k²·C/share


@pytest.mark.parametrize('cls', VARIANTS)
def test_replaces_mmdet_resnets_3x3_convs(cls):
    assert_replaces_bottleneck_conv(cls)


@pytest.mark.parametrize('cls', VARIANTS)
def test_one_pixel_map(cls):
    block = randomised(cls(16, kernel_size=3), std=0.5)
    x = torch.randn(2, 16, 1, 1)
    with torch.no_grad():
        # every tap is the pixel itself: the weights sum to one (pairwise)
        # or the nine taps' weights add up on the one value (patchwise)
        out = block(x)
    assert out.shape == x.shape and torch.isfinite(out).all()
    if cls is SANPairwise:
        torch.testing.assert_close(out, block.conv3(x))


@pytest.mark.parametrize('cls', VARIANTS)
@pytest.mark.parametrize(
    'kwargs, arg',
    [
        (dict(kernel_size=4), 'kernel_size'),
        (dict(window_size=0), 'window_size'),
        (dict(stride=3), 'stride'),
        (dict(dilation=0), 'dilation'),
        (dict(out_channels=12), 'share_planes'),  # 8 does not divide 12
        (dict(share_planes=0), 'share_planes'),
        (dict(rel_reduction=32), 'rel_reduction'),  # 16 // 32 leaves none
        (dict(out_channels=0), 'out_channels'),
    ])
def test_bad_arguments(cls, kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        cls(16, **kwargs)
