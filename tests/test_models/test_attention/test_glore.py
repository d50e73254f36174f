"""GloRe: the official unit's sizes and state-dict keys, its forward
written out as the official ``GloRe_Unit`` (projection, GCN, reprojection,
residual), ``normalize``, the official init, torch.compile and bad
arguments."""
import pytest
import torch
from block_checks import randomised
from mmengine.model import initialize

from mmattn.models.attention.glore import GloRe

# GloRe_Unit_2D(num_in=1024, num_mid=256), the res4 unit of the official
# ResNet-50 (num_mid: the stage's bottleneck width)
OFFICIAL_RES4_KEYS = {
    'conv_state.weight': (512, 1024, 1, 1),
    'conv_state.bias': (512, ),
    'conv_proj.weight': (256, 1024, 1, 1),
    'conv_proj.bias': (256, ),
    'gcn.conv1.weight': (256, 256, 1),
    'gcn.conv1.bias': (256, ),
    'gcn.conv2.weight': (512, 512, 1),
    'conv_extend.weight': (1024, 512, 1, 1),
    'blocker.weight': (1024, ),
    'blocker.bias': (1024, ),
    'blocker.running_mean': (1024, ),
    'blocker.running_var': (1024, ),
    'blocker.num_batches_tracked': (),
}


def official(block, x, normalize=False):
    """``GloRe_Unit.forward`` of the official code."""
    n = x.size(0)
    x_state = block.conv_state(x).view(n, block.num_s, -1)
    x_proj = block.conv_proj(x).view(n, block.num_n, -1)
    x_n_state = torch.matmul(x_state, x_proj.permute(0, 2, 1))
    if normalize:
        x_n_state = x_n_state * (1. / x_state.size(2))
    gcn = block.gcn
    h = gcn.conv1(x_n_state.permute(0, 2, 1).contiguous()).permute(0, 2, 1)
    x_n_rel = gcn.conv2(torch.relu(h + x_n_state))
    x_state = torch.matmul(x_n_rel, x_proj).view(n, block.num_s, *x.size()[2:])
    return x + block.blocker(block.conv_extend(x_state))


def test_sizes_and_keys_are_the_official_units():
    with torch.device('meta'):
        block = GloRe(1024)
    assert (block.num_n, block.num_s) == (256, 512)
    assert {k: tuple(v.shape) for k, v in block.state_dict().items()} == \
        OFFICIAL_RES4_KEYS
    assert block.blocker.eps == 1e-4


@pytest.mark.parametrize('normalize', [False, True])
def test_matches_the_official_forward(normalize):
    block = randomised(GloRe(32, normalize=normalize))
    x = torch.randn(2, 32, 7, 5)
    with torch.no_grad():
        torch.testing.assert_close(block(x), official(block, x, normalize))


@pytest.mark.parametrize('normalize', [False, True])
def test_normalize_makes_the_nodes_independent_of_the_size(normalize):
    """With ``normalize`` the node states are means over the pixels, not
    sums: a constant map gives the same output at every size."""
    block = randomised(GloRe(16, normalize=normalize))
    x = torch.randn(1, 16, 1, 1)
    with torch.no_grad():
        small = block(x.expand(1, 16, 2, 3))[..., 0, 0]
        large = block(x.expand(1, 16, 6, 9))[..., 0, 0]
    assert torch.allclose(small, large, atol=1e-5) == normalize


def test_init_weights_is_the_official_init_after_a_host_init():
    block = GloRe(32)
    initialize(block, [
        dict(type='Kaiming', layer=['Conv1d', 'Conv2d']),
        dict(type='Constant', val=1, layer='_BatchNorm')
    ])
    block.init_weights()
    assert not block.blocker.weight.any() and not block.blocker.bias.any()
    for conv in (block.conv_state, block.conv_proj, block.gcn.conv1):
        assert not conv.bias.any()
    # Xavier-uniform: |w| <= sqrt(6 / (fan_in + fan_out))
    bound = (6 / (32 + 16))**0.5
    weight = block.conv_state.weight
    assert weight.abs().max() <= bound and weight.abs().max() > bound / 2


@pytest.mark.parametrize(
    'kwargs, arg',
    [
        (dict(reduction=0), 'reduction'),
        (dict(reduction=2.), 'reduction'),
        (dict(reduction=32), 'ratio'),  # 16 // 32 leaves no node
    ])
def test_bad_arguments(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        GloRe(16, **kwargs)
