"""SK: selection weights are a softmax over branches, the output is the
weighted sum of the branches, the official widths, SKNet-50's size, and bad
arguments."""
import pytest
import torch
from mmdet.models.backbones import ResNeXt
from resnet_counts import FC_PARAMS

from mmattn.models.attention.selective_kernel import SK


def test_selection_weights_sum_to_one_over_branches():
    torch.manual_seed(0)
    block = SK(64, dilations=(1, 2, 3)).eval()
    fused = torch.randn(2, 64, 5, 7)
    weights = block.select(fused)
    assert weights.shape == (2, 3, 64, 1, 1)
    assert weights.min() > 0
    torch.testing.assert_close(weights.sum(1), torch.ones(2, 64, 1, 1))


def test_output_is_the_selected_sum_of_branches():
    torch.manual_seed(0)
    block = SK(64).eval()
    x = torch.randn(2, 64, 6, 5)
    u3, u5 = (branch(x) for branch in block.branches)
    a = block.select(u3 + u5)
    torch.testing.assert_close(block(x), a[:, 0] * u3 + a[:, 1] * u5)
    # the two weights of a channel are complementary (softmax of two)
    torch.testing.assert_close(a[:, 0], 1 - a[:, 1])


def test_structure_follows_the_official_prototxt():
    block = SK(128)  # SKNet-50 stage 1: 128 channels, G = 32, d = 32
    convs = [b.conv for b in block.branches]
    assert [c.dilation for c in convs] == [(1, 1), (2, 2)]
    assert [c.padding for c in convs] == [(1, 1), (2, 2)]
    assert all(c.groups == 32 and c.bias is None for c in convs)
    assert block.fuse.fc1.weight.shape == (32, 128, 1, 1)  # max(128/16, 32)
    assert block.fuse.fc2.weight.shape == (256, 32, 1, 1)
    assert block.fuse.fc1.bias is None and block.fuse.fc2.bias is None
    assert SK(1024).fuse.fc1.out_channels == 64


@pytest.mark.parametrize('kwargs, name', [
    (dict(in_channels=48), 'groups'),  # 48 channels in 32 groups
    (dict(in_channels=64, groups=0), 'groups'),
    (dict(in_channels=64, dilations=(1, )), 'dilations'),
    (dict(in_channels=64, dilations=(1, 0)), 'dilations'),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        SK(**kwargs)


def test_sknet50_has_the_official_parameter_count():
    """SKNet-50 is ResNeXt-50 (32×4d) with an SK convolution in place of
    each grouped 3×3 conv and its BN: built here as mmdet's ResNeXt with SK
    after conv2, minus the conv2 and norm2 it replaces. 27,479,784
    parameters with the fc: the official 27.5M."""
    sk = [dict(cfg=dict(type='mmattn.SK'), position='after_conv2')]
    net = ResNeXt(depth=50, groups=32, base_width=4, plugins=sk)
    blocks = [m for m in net.modules() if hasattr(m, 'sk')]
    replaced = sum(p.numel() for m in blocks
                   for layer in (m.conv2, m.norm2) for p in layer.parameters())
    count = sum(p.numel() for p in net.parameters()) - replaced + FC_PARAMS
    assert count == 27_479_784
    assert round(count / 1e6, 1) == 27.5
