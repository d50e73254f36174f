"""PSA: the plain-PyTorch psa_mask against mmcv's compiled PSAMask, the
block against the official forward wired by hand, and any input size."""
import pytest
import torch
import torch.nn.functional as F
from mmcv.ops import PSAMask

from mmattn.models.attention.psa import PSA, psa_mask


@pytest.mark.parametrize('mode', ['collect', 'distribute'])
@pytest.mark.parametrize('size, mask_size', [
    ((5, 4), (9, 7)),  # the paper's 2H-1 x 2W-1: the whole map
    ((6, 7), (5, 3)),  # smaller masks: far positions get 0
    ((4, 3), (4, 6)),  # even masks (mmseg's ADE20K config uses 66)
    ((1, 1), (3, 3)),
])
def test_psa_mask_matches_mmcv(mode, size, mask_size):
    torch.manual_seed(0)
    mask = torch.randn(2, mask_size[0] * mask_size[1], *size)
    expected = PSAMask(mode, mask_size)(mask)  # (N, HW, H, W)
    ours = psa_mask(mask, mask_size, mode)  # (N, HW, HW)
    torch.testing.assert_close(ours, expected.flatten(2))


def official(block, x):
    """semseg's PSA.forward (psa_type=2) with mmcv's op, ending with the
    3×3 conv its head applies to ``cat(x, out)``."""
    h, w = x.shape[-2:]
    sh, sw = (h - 1) // 2 + 1, (w - 1) // 2 + 1
    outs = []
    for reduce, attention, mode in ((block.reduce, block.attention,
                                     'collect'),
                                    (block.reduce_p, block.attention_p,
                                     'distribute')):
        feat = F.interpolate(reduce(x), size=(sh, sw), mode='bilinear',
                             align_corners=True)
        y = PSAMask(mode, block.mask_size)(attention(feat))
        y = F.softmax(y, dim=1)
        n, c = feat.shape[:2]
        outs.append(torch.bmm(feat.view(n, c, -1), y.view(n, sh * sw, -1))
                    .view(n, c, sh, sw))
    out = F.interpolate(block.proj(torch.cat(outs, 1)), size=(h, w),
                        mode='bilinear', align_corners=True)
    return block.bottleneck(torch.cat([x, out], 1))


def test_matches_official_forward():
    torch.manual_seed(0)
    block = PSA(16, ratio=0.5, mask_size=(9, 9)).eval()
    x = torch.randn(2, 16, 9, 7)  # odd: the official (h-1)*2+1 is exact
    torch.testing.assert_close(block(x), official(block, x))


@pytest.mark.parametrize('psa_type', ['collect', 'distribute'])
def test_single_branch(psa_type):
    block = PSA(8, mask_size=5, psa_type=psa_type, shrink_factor=1)
    assert not hasattr(block, 'reduce_p')
    assert block.proj.conv.in_channels == 2
    assert block(torch.randn(2, 8, 6, 4)).shape == (2, 8, 6, 4)


def test_even_sizes_come_back_exactly():
    block = PSA(8, mask_size=7)
    assert block(torch.randn(1, 8, 10, 12)).shape == (1, 8, 10, 12)


def test_normalization_factor_none_is_the_mask_area():
    assert PSA(8, mask_size=(3, 5),
               normalization_factor=None).normalization_factor == 15


@pytest.mark.parametrize('kwargs, name', [
    (dict(in_channels=8, ratio=0), 'ratio'),
    (dict(in_channels=8, mask_size=(3, -1)), 'mask_size'),
    (dict(in_channels=8, psa_type='both'), 'psa_type'),
    (dict(in_channels=8, shrink_factor=0), 'shrink_factor'),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        PSA(**kwargs)
