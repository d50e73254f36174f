"""AttentionNeck: blocks before or after mmdet's FPN on chosen levels, the
routing checked against the bare FPN, two-level blocks, and bad input."""
import pytest
import torch
from mmdet.registry import MODELS as DET_MODELS
from mmengine.registry import init_default_scope

from mmattn.models.necks import AttentionNeck

IN = [8, 16, 32]
FPN = dict(type='FPN', in_channels=IN, out_channels=8, num_outs=4)


@pytest.fixture(autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')


def features(batch=2):
    return [torch.randn(batch, c, 32 // 2**i, 24 // 2**i)
            for i, c in enumerate(IN)]


def wrapped(**kwargs):
    """The wrapper and a bare FPN holding the same FPN weights."""
    torch.manual_seed(0)
    neck = DET_MODELS.build(dict(type='mmattn.AttentionNeck', neck=FPN,
                                 **kwargs))
    neck.init_weights()
    fpn = DET_MODELS.build(FPN)
    fpn.load_state_dict(neck.neck.state_dict())
    return neck.eval(), fpn.eval()


@pytest.mark.parametrize('position, levels, channels',
                         [('before', (1, 2), [16, 32]),
                          ('after', (0, 3), [8, 8])])
def test_blocks_get_their_level_channels(position, levels, channels):
    neck, _ = wrapped(block=dict(type='mmattn.SASA', heads=2, kernel_size=3),
                      levels=levels, position=position)
    assert [b.in_channels for b in neck.blocks] == channels


def test_identity_blocks_leave_the_fpn_unchanged():
    # GlobalContext starts as the identity: wrapped == bare FPN
    for position in ('before', 'after'):
        neck, fpn = wrapped(
            block=dict(type='mmattn.GlobalContext', ratio=1 / 4),
            position=position)
        x = features()
        for a, b in zip(neck(x), fpn(x)):
            torch.testing.assert_close(a, b)


def test_after_touches_only_the_chosen_levels():
    neck, fpn = wrapped(block=dict(type='mmattn.ExternalAttention'),
                        levels=(1, 3), position='after')
    x = features()
    ours, plain = neck(x), fpn(x)
    assert len(ours) == 4
    for level in (0, 2):
        torch.testing.assert_close(ours[level], plain[level])
    for level in (1, 3):
        torch.testing.assert_close(ours[level],
                                   neck.blocks[(1, 3).index(level)](
                                       plain[level]))


def test_before_feeds_the_fpn_with_attended_features():
    neck, fpn = wrapped(block=dict(type='mmattn.ExternalAttention'),
                        levels=(2, ), position='before')
    x = features()
    attended = x[:2] + [neck.blocks[0](x[2])]
    for a, b in zip(neck(x), fpn(attended)):
        torch.testing.assert_close(a, b)


def test_one_config_per_level():
    neck, _ = wrapped(block=[dict(type='mmattn.RGA', spatial_size=(16, 12)),
                             dict(type='mmattn.RGA', spatial_size=(8, 6))],
                      levels=(0, 1), position='before')
    assert [b.spatial_size for b in neck.blocks] == [(16, 12), (8, 6)]
    assert [o.shape[1] for o in neck(features())] == [8] * 4


def test_two_level_block_gets_its_low_level():
    neck, _ = wrapped(block=dict(type='mmattn.AFNB'), levels=(2, ),
                      low_levels=(1, ), position='before')
    assert neck.blocks[0].in_channels == 32
    calls = []
    neck.blocks[0].register_forward_hook(
        lambda m, args, out: calls.append([a.shape[1:] for a in args]))
    neck(features())
    assert calls == [[(32, 8, 6), (16, 16, 12)]]


@pytest.mark.parametrize('kwargs, match', [
    (dict(position='inside'), 'position'),
    (dict(levels=(3, ), position='before'), 'levels'),
    (dict(levels=(1, 1)), 'levels'),
    (dict(block=[dict(type='mmattn.SE')] * 2, levels=(0, )), 'block'),
    (dict(levels=(1, ), low_levels=(5, )), 'low_levels'),
    (dict(neck=dict(type='FPN', out_channels=8)), 'in_channels'),
    (dict(neck=dict(type='FPN', in_channels=IN)), 'out_channels'),
])
def test_bad_arguments(kwargs, match):
    kwargs = dict(dict(neck=FPN, block=dict(type='mmattn.SE')), **kwargs)
    with pytest.raises(ValueError, match=match):
        AttentionNeck(**kwargs)
