"""SASA: the windowed attention against a per-pixel reference, heads,
groups, borders, its use in place of mmdet ResNet's 3×3 convs, and the
paper's parameter count."""
import pytest
import torch
from resnet_counts import resnet50_params

from mmattn.models.attention.sasa import SASA


def reference(block, x):
    """Eq. 3 of the paper, pixel by pixel, over in-image window taps."""
    n, _, h, w = x.shape
    heads, d, k = block.heads, block.head_dim, block.kernel_size
    dil, half = block.dilation, block.kernel_size // 2
    q = block.query(x).view(n, heads, d, h, w)
    key = block.key(x).view(n, heads, d, h, w)
    val = block.value(x).view(n, heads, d, h, w)
    rows, cols = block.rel_rows[..., 0], block.rel_cols[:, :, 0]
    out = torch.zeros(n, heads, d, h, w)
    for i in range(h):
        for j in range(w):
            logits, values = [], []
            for a in range(k):
                for b in range(k):
                    y, z = i + (a - half) * dil, j + (b - half) * dil
                    if not (0 <= y < h and 0 <= z < w):
                        continue
                    r = torch.cat([rows[:, :, a], cols[:, :, b]], 1)
                    qij = q[:, :, :, i, j]
                    logits.append((qij * (key[:, :, :, y, z] + r)).sum(-1))
                    values.append(val[:, :, :, y, z])
            attn = torch.stack(logits, -1).softmax(-1)  # (n, heads, taps)
            out[..., i, j] = (attn[:, :, None] * torch.stack(values, -1)
                              ).sum(-1)
    return out.view(n, heads * d, h, w)


@pytest.mark.parametrize('kwargs, size', [
    (dict(kernel_size=3, heads=2), (5, 4)),
    (dict(kernel_size=5, heads=1, dilation=2), (6, 7)),
    (dict(kernel_size=7, heads=4, groups=2), (3, 2)),  # window > image
])
def test_matches_reference(kwargs, size):
    torch.manual_seed(0)
    block = SASA(8, **kwargs).eval()
    x = torch.randn(2, 8, *size)
    torch.testing.assert_close(block(x), reference(block, x),
                               rtol=1e-4, atol=1e-5)


def test_out_channels_stride_and_groups():
    block = SASA(8, 16, stride=2, heads=4, groups=4)
    assert block(torch.randn(1, 8, 9, 6)).shape == (1, 16, 4, 3)
    # groups=heads: head 0's query sees only the first input group
    assert block.query.weight.shape == (16, 2, 1, 1)


def test_one_pixel_attends_to_itself():
    block = SASA(8, heads=2).eval()
    x = torch.randn(3, 8, 1, 1)
    torch.testing.assert_close(block(x), block.value(x))


def test_window_size_overrides_a_hosts_kernel_size():
    # what mmdet's ResNet passes to the conv it builds in its dcn slot
    block = SASA(16, 16, kernel_size=3, stride=1, padding=1, dilation=1,
                 bias=False, window_size=5)
    assert block.kernel_size == 5 and block.rel_rows.shape[2] == 5


@pytest.mark.parametrize('kwargs, name', [
    (dict(in_channels=0), 'in_channels'),
    (dict(in_channels=8, heads=3), 'heads'),
    (dict(in_channels=12, heads=4), 'out_channels'),  # 3 per head: odd
    (dict(in_channels=8, heads=2, groups=3), 'groups'),
    (dict(in_channels=8, heads=2, kernel_size=4), 'kernel_size'),
    (dict(in_channels=8, heads=2, window_size=0), 'window_size'),
    (dict(in_channels=8, heads=2, stride=3), 'stride'),
    (dict(in_channels=8, heads=2, dilation=0), 'dilation'),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        SASA(**kwargs)


def test_replaces_mmdet_resnet_3x3_convs():
    from mmdet.models.backbones import ResNet
    torch.manual_seed(0)
    backbone = ResNet(
        depth=50, num_stages=4, out_indices=(2, 3), base_channels=16,
        dcn=dict(type='mmattn.SASA', window_size=5, heads=2),
        stage_with_dcn=(False, False, True, True))
    conv2 = backbone.layer4[0].conv2
    assert isinstance(conv2, SASA) and conv2.stride == 2
    assert not isinstance(backbone.layer2[0].conv2, SASA)
    backbone.init_weights()
    outs = backbone(torch.randn(1, 3, 64, 96))
    assert [o.shape for o in outs] == [(1, 256, 4, 6), (1, 512, 2, 3)]


def test_sasa_resnet50_has_the_paper_parameter_count():
    """SASA (7×7 window, 8 heads) in place of every 3×3 conv of a ResNet-50:
    the paper's 18.0M with full 1×1 projections (``groups=1``), not with
    projections grouped by head."""
    def count(groups):
        return resnet50_params(
            dcn=dict(type='mmattn.SASA', window_size=7, groups=groups),
            stage_with_dcn=(True, True, True, True))

    assert round(count(1) / 1e6, 1) == 18.0
    assert round(count(8) / 1e6, 1) == 14.7
