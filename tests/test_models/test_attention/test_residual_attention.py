"""ResidualAttention: the unit layout of the official Attention-56 modules,
(1 + M)·T, the mask branch's sizes, and bad arguments."""
import pytest
import torch
import torch.nn.functional as F

from mmattn.models.attention.residual_attention import (PreActBottleneck,
                                                        ResidualAttention)


def num_units(module):
    return sum(isinstance(m, PreActBottleneck) for m in module.modules())


@pytest.mark.parametrize('depth, units', [(3, 12), (2, 9), (1, 6)])
def test_unit_count_matches_attention_56(depth, units):
    """AttentionA/B/C_1 of Attention-56-deploy.prototxt: 1 pre unit, 2 trunk
    units, 1 post unit; in the mask one unit per level, two at the deepest,
    and one skip and one up-sampling unit per level above the deepest."""
    block = ResidualAttention(64, depth=depth, pre_post_units=1,
                              trunk_units=2)
    assert num_units(block) == units
    assert num_units(block.down) == depth + 1
    assert num_units(block.skips) == num_units(block.up) == depth - 1


def test_unit_layout():
    unit = ResidualAttention(256, trunk_units=1).trunk[0]
    assert [c.conv.weight.shape[:2] for c in (unit.conv1, unit.conv2,
                                              unit.conv3)] == \
        [(64, 256), (64, 64), (256, 64)]
    assert all(c.conv.bias is None and c.order == ('norm', 'act', 'conv')
               for c in (unit.conv1, unit.conv2, unit.conv3))


def reference_mask(block, x):
    """The mask branch of AttentionA_1 (depth 3), layer by layer."""
    pool = F.max_pool2d
    d1 = block.down[0](pool(x, 3, 2, 1))
    d2 = block.down[1](pool(d1, 3, 2, 1))
    d3 = block.down[2](pool(d2, 3, 2, 1))

    def interp(t, like):
        return F.interpolate(t, like.shape[2:], mode='bilinear',
                             align_corners=True)

    u2 = block.up[1](interp(d3, d2) + block.skips[1](d2))
    u1 = block.up[0](interp(u2, d1) + block.skips[0](d1))
    return torch.sigmoid(block.mask_head(interp(u1, x)))


@pytest.mark.parametrize('size', [(56, 56), (13, 7), (1, 1)])
def test_forward_is_one_plus_mask_times_trunk(size):
    torch.manual_seed(0)
    block = ResidualAttention(16, depth=3, pre_post_units=1,
                              trunk_units=2).eval()
    x = torch.randn(2, 16, *size)
    h = block.pre(x)
    mask = reference_mask(block, h)
    torch.testing.assert_close(block.mask(h), mask)
    assert 0 <= mask.min() and mask.max() <= 1  # a sigmoid (may saturate)
    expected = block.post(block.trunk(h) * (1 + mask))
    torch.testing.assert_close(block(x), expected)


def test_plug_in_form_is_the_soft_mask_alone():
    block = ResidualAttention(16).eval()  # the default: no p or t units
    assert num_units(block) == 2  # the two deepest mask units
    x = torch.randn(1, 16, 9, 6)
    torch.testing.assert_close(block(x), x * (1 + block.mask(x)))


@pytest.mark.parametrize('kwargs, name', [
    (dict(depth=0), 'depth'), (dict(trunk_units=-1), 'trunk_units'),
    (dict(mask_units=0), 'mask_units'), (dict(ratio=1 / 32), 'ratio')])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ResidualAttention(16, **kwargs)
