"""MHSA: BoTNet attention against a dense reference with explicit relative
indices, for sizes below, at and above the tables' size; the folded SDPA
path; and its use in place of mmdet ResNet's c5 3×3 convs."""
import pytest
import torch

from mmattn.models.attention.mhsa import MHSA, relative_logits_1d


def reference(block, x):
    """softmax((q/√d)·k + (q/√d)·(E_h[y'-y] + E_w[x'-x])) v, with offsets
    clipped to the tables, the HW×HW logits written out."""
    n, _, h, w = x.shape
    heads, d = block.heads, block.head_dim
    q, k, v = block.qkv(x).view(n, 3, heads, d, h * w).unbind(1)
    q = q * d**-0.5
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    ys, xs = ys.flatten(), xs.flatten()
    th, tw = block.rel_pos_size
    dy = (ys[None, :] - ys[:, None]).clamp(-(th - 1), th - 1) + th - 1
    dx = (xs[None, :] - xs[:, None]).clamp(-(tw - 1), tw - 1) + tw - 1
    rel = block.rel_height[dy] + block.rel_width[dx]  # (HW, HW, d)
    logits = torch.einsum('nhdp,nhdq->nhpq', q, k)
    logits = logits + torch.einsum('nhdp,pqd->nhpq', q, rel)
    out = torch.einsum('nhpq,nhdq->nhdp', logits.softmax(-1), v)
    return out.reshape(n, heads * d, h, w)


@pytest.mark.parametrize('size', [(4, 4), (3, 5), (6, 2), (7, 9), (1, 1)])
def test_matches_reference(size):
    torch.manual_seed(0)
    block = MHSA(16, heads=2, rel_pos_size=4).eval()
    x = torch.randn(2, 16, *size)
    torch.testing.assert_close(block(x), reference(block, x),
                               rtol=1e-4, atol=1e-5)


def test_rel_to_abs_is_the_relative_gather():
    torch.manual_seed(0)
    q, table = torch.randn(3, 2, 5, 4), torch.randn(9, 4)
    index = torch.arange(5)[None, :] - torch.arange(5)[:, None] + 4
    expected = torch.einsum('byxd,xzd->byxz', q, table[index])
    torch.testing.assert_close(relative_logits_1d(q, table), expected)


def test_gradients_reach_the_tables():
    block = MHSA(8, heads=2, rel_pos_size=3)
    block(torch.randn(1, 8, 5, 4)).sum().backward()
    assert block.rel_height.grad.abs().sum() > 0
    assert block.rel_width.grad.abs().sum() > 0


@pytest.mark.parametrize('kwargs, name', [
    (dict(in_channels=-1), 'in_channels'),
    (dict(in_channels=8, heads=0), 'heads'),
    (dict(in_channels=8, heads=3), 'out_channels'),
    (dict(in_channels=8, stride=4), 'stride'),
    (dict(in_channels=8, rel_pos_size=(4, 0)), 'rel_pos_size'),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        MHSA(**kwargs)


def test_replaces_mmdet_resnet_c5_convs():
    from mmdet.models.backbones import ResNet
    backbone = ResNet(
        depth=50, num_stages=4, out_indices=(3, ), base_channels=16,
        dcn=dict(type='mmattn.MHSA', rel_pos_size=4),
        stage_with_dcn=(False, False, False, True))
    first, last = backbone.layer4[0].conv2, backbone.layer4[2].conv2
    assert isinstance(first, MHSA) and first.stride == 2
    assert last.stride == 1 and last.heads == 4
    backbone.init_weights()
    out, = backbone(torch.randn(1, 3, 96, 64))
    assert out.shape == (1, 512, 3, 2)
