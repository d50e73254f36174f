"""GlobalContext against mmcv's ContextBlock (same state dict, both poolings,
every fusion), the re-zeroed last convs after a host's init, the 0.5 start
of channel_mul, and bad arguments."""
import pytest
import torch
from mmcv.cnn import ContextBlock
from mmengine.model import initialize

from mmattn.models.attention.global_context import GlobalContext

FUSIONS = [('channel_add', ), ('channel_mul', ), ('channel_add',
                                                  'channel_mul')]


@pytest.mark.parametrize('pooling_type', ['att', 'avg'])
@pytest.mark.parametrize('fusion_types', FUSIONS)
def test_loads_mmcv_weights_and_gives_its_output(pooling_type, fusion_types):
    torch.manual_seed(0)
    theirs = ContextBlock(32, ratio=1 / 4, pooling_type=pooling_type,
                          fusion_types=fusion_types)
    with torch.no_grad():
        for param in theirs.parameters():
            param.normal_(0, 0.3)
    ours = GlobalContext(32, ratio=1 / 4, pooling_type=pooling_type,
                         fusion_types=fusion_types)
    ours.load_state_dict(theirs.state_dict())  # strict: same keys
    x = torch.randn(2, 32, 7, 5)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x))


@pytest.mark.parametrize('ratio,planes', [(1 / 16, 4), (1 / 4, 16), (8, 8)])
def test_bottleneck_width(ratio, planes):
    block = GlobalContext(64, ratio=ratio)
    assert block.channel_add_conv[0].out_channels == planes
    assert block.channel_add_conv[1].normalized_shape == (planes, 1, 1)


def test_init_weights_zeroes_the_last_convs_after_a_host_init():
    block = GlobalContext(32, fusion_types=('channel_add', 'channel_mul'))
    initialize(block, dict(type='Kaiming', layer='Conv2d'))
    assert block.channel_add_conv[-1].weight.any()
    block.init_weights()
    for transform in (block.channel_add_conv, block.channel_mul_conv):
        assert not transform[-1].weight.any()
        assert not transform[-1].bias.any()
    assert block.conv_mask.weight.any()


def test_channel_mul_starts_at_half():
    """sigmoid(0) = 0.5, as in mmcv and the official code: only the add
    fusion starts as the identity."""
    x = torch.randn(2, 16, 5, 5)
    block = GlobalContext(16, fusion_types=('channel_mul', ))
    block.init_weights()
    with torch.no_grad():
        torch.testing.assert_close(block(x), 0.5 * x)


@pytest.mark.parametrize('kwargs,arg', [
    (dict(pooling_type='max'), 'pooling_type'),
    (dict(fusion_types=()), 'fusion_types'),
    (dict(fusion_types='channel_add'), 'fusion_types'),
    (dict(fusion_types=('channel_sub', )), 'fusion_types'),
    (dict(ratio=1 / 32), 'ratio'),
])
def test_bad_arguments(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        GlobalContext(16, **kwargs)
