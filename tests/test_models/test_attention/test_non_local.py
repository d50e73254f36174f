"""NonLocal against mmcv's NonLocal2d (same state dict, every mode), the
dot-product reassociation against the explicit matrix, no HW×HW tensor in
the SDPA and dot-product modes, ceil-mode subsampling, init and bad
arguments."""
import pytest
import torch
from largest_tensor import largest_tensor
from mmcv.cnn import NonLocal2d
from mmengine.model import initialize

from mmattn.models.attention.non_local import MODES, NonLocal


def randomised(module):
    """All parameters and norm statistics drawn at random (the zero-init
    output would hide every difference)."""
    torch.manual_seed(0)
    with torch.no_grad():
        for param in module.parameters():
            param.normal_(0, 0.3)
        for m in module.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2)
    return module.eval()


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('sub_sample', [False, True])
def test_loads_mmcv_weights_and_gives_its_output(mode, sub_sample):
    theirs = randomised(NonLocal2d(16, mode=mode, sub_sample=sub_sample))
    ours = NonLocal(16, mode=mode, sub_sample=sub_sample).eval()
    ours.load_state_dict(theirs.state_dict())  # strict: same keys
    x = torch.randn(2, 16, 8, 6)  # even: mmcv floors odd sizes
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5)


def test_loads_mmcv_weights_with_a_norm():
    norm_cfg = dict(type='BN')
    theirs = randomised(NonLocal2d(16, norm_cfg=norm_cfg))
    ours = NonLocal(16, norm_cfg=norm_cfg).eval()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(2, 16, 5, 7)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5)


def test_dot_product_equals_the_explicit_matrix():
    block = randomised(NonLocal(16, mode='dot_product', sub_sample=True))
    x = torch.randn(2, 16, 7, 5)
    theta = block.theta(x).flatten(2).transpose(1, 2)  # N×HW×C'
    phi = block.phi(x).flatten(2)  # N×C'×S, pooled
    g = block.g(x).flatten(2).transpose(1, 2)  # N×S×C', pooled
    pairwise = theta @ phi / phi.shape[-1]  # the N×HW×S matrix
    y = (pairwise @ g).transpose(1, 2).reshape(2, -1, 7, 5)
    with torch.no_grad():
        torch.testing.assert_close(block(x), x + block.conv_out(y))


@pytest.mark.parametrize('mode', ['embedded_gaussian', 'gaussian',
                                  'dot_product'])
def test_no_hw_by_hw_tensor(mode):
    block = NonLocal(16, mode=mode)
    x = torch.randn(1, 16, 12, 12, requires_grad=True)
    numel, op = largest_tensor(lambda t: block(t).sum().backward(), x)
    assert numel <= 16 * 144, op  # the input's size; HW×HW is 144²


def test_sub_sample_keeps_odd_borders_and_runs_on_1x1():
    block = randomised(NonLocal(16, sub_sample=True))
    x = torch.randn(2, 16, 5, 7)
    # the last row and column are pooled in (ceil_mode), not dropped
    assert block.phi(x).shape[-2:] == block.g(x).shape[-2:] == (3, 4)
    # on a 1×1 map the pooling keeps the single key: same as no pooling
    plain = NonLocal(16).eval()
    plain.load_state_dict({k.replace('.0.conv', '.conv'): v
                           for k, v in block.state_dict().items()})
    one = torch.randn(2, 16, 1, 1)
    with torch.no_grad():
        torch.testing.assert_close(block(one), plain(one))


@pytest.mark.parametrize('norm_cfg', [None, dict(type='BN')])
def test_init_weights_zeroes_the_output_after_a_host_init(norm_cfg):
    block = NonLocal(16, norm_cfg=norm_cfg)
    initialize(block, [dict(type='Kaiming', layer='Conv2d'),
                       dict(type='Constant', val=1, layer='_BatchNorm')])
    assert block.conv_out.conv.weight.abs().sum() > 0
    block.init_weights()
    zeroed = block.conv_out.norm if norm_cfg else block.conv_out.conv
    assert not zeroed.weight.any()
    assert 0 < block.g.conv.weight.std() < 0.02  # mmcv's N(0, 0.01)


def test_reduction_sets_the_inner_width():
    assert NonLocal(64).inter_channels == 32
    assert NonLocal(64, reduction=4).inter_channels == 16


@pytest.mark.parametrize('kwargs,arg', [
    (dict(mode='softmax'), 'mode'),
    (dict(reduction=0), 'reduction'),
    (dict(reduction=2.), 'reduction'),
    (dict(reduction=32), 'ratio'),  # 16 // 32 leaves no channels
])
def test_bad_arguments(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        NonLocal(16, **kwargs)
