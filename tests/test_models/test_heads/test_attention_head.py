"""AttentionHead: built under mmseg's scope with several blocks, recurrence
with shared weights, loss and predict, and the exact equal of NLHead,
DNLHead and OCRHead."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.models.decode_heads import DNLHead, NLHead, OCRHead
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.structures import SegDataSample

from mmattn.models.attention import registered_blocks
from mmattn.models.attention.criss_cross import CrissCross
from mmattn.models.attention.global_context import GlobalContext
from mmattn.models.attention.non_local import NonLocal
from mmattn.models.heads import AttentionHead

BN = dict(type='BN', requires_grad=True)


def head_cfg(block, **kwargs):
    return dict(type='mmattn.AttentionHead', block=block, in_channels=32,
                channels=16, num_classes=3, norm_cfg=BN, **kwargs)


@pytest.fixture(autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


@pytest.mark.parametrize('block', [
    dict(type='mmattn.NonLocal'),
    dict(type='GlobalContext', ratio=1 / 4),  # bare name: mmattn's
    dict(type='mmattn.CrissCross'),
    dict(type='mmattn.DANet'),
    dict(type='mmattn.SASA', heads=2, kernel_size=3),
    dict(type='mmattn.MHSA', heads=2, rel_pos_size=4),
    dict(type='mmattn.PSA', mask_size=7),
    dict(type='mmattn.RGA', spatial_size=(6, 5)),
    dict(type='mmattn.ExternalAttention', memory_size=8),
])
def test_builds_any_block_under_mmseg_scope(block):
    head = SEG_MODELS.build(head_cfg(block))
    assert head.block.in_channels == 16
    assert type(head.block).__name__ == block['type'].split('.')[-1]
    head.init_weights()
    out = head([torch.randn(2, 32, 6, 5)])
    assert out.shape == (2, 3, 6, 5)


def test_norm_cfg_is_passed_to_blocks_that_take_one():
    head = SEG_MODELS.build(head_cfg(dict(type='mmattn.NonLocal')))
    assert type(head.block.conv_out.norm).__name__ == 'BatchNorm2d'
    # an explicit norm_cfg in the block wins
    head = SEG_MODELS.build(
        head_cfg(dict(type='mmattn.NonLocal', norm_cfg=None)))
    assert not head.block.conv_out.with_norm


def test_recurrence_reuses_one_block():
    one = AttentionHead(block=dict(type='mmattn.CrissCross', recurrence=1),
                        in_channels=32, channels=16, num_classes=3)
    two = AttentionHead(block=dict(type='mmattn.CrissCross', recurrence=1),
                        recurrence=2, in_channels=32, channels=16,
                        num_classes=3)
    assert sum(p.numel() for p in one.parameters()) == \
        sum(p.numel() for p in two.parameters())
    calls = []
    two.block.register_forward_hook(lambda m, i, o: calls.append(m))
    two.eval()([torch.randn(1, 32, 5, 5)])
    assert len(calls) == 2 and calls[0] is calls[1]


def test_two_level_block_gets_the_low_input():
    head = AttentionHead(
        block=dict(type='mmattn.AFNB', low_channels=8), low_index=0,
        in_index=1, in_channels=32, channels=16, num_classes=3)
    calls = []
    head.block.register_forward_hook(
        lambda m, args, out: calls.append([a.shape for a in args]))
    out = head([torch.randn(2, 8, 12, 10), torch.randn(2, 32, 6, 5)])
    assert out.shape == (2, 3, 6, 5)
    assert calls == [[(2, 16, 6, 5), (2, 8, 12, 10)]]


def test_loss_and_predict_on_tiny_input():
    torch.manual_seed(0)
    head = AttentionHead(block=dict(type='mmattn.NonLocal'), in_channels=32,
                         channels=16, num_classes=3)
    inputs = [torch.randn(2, 32, 4, 4)]
    samples = []
    for _ in range(2):
        sample = SegDataSample(metainfo=dict(img_shape=(32, 32),
                                             pad_shape=(32, 32)))
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, 3, (1, 32, 32)))
        samples.append(sample)
    losses = head.loss(inputs, samples, train_cfg=dict())
    assert losses['loss_ce'].item() > 0
    losses['loss_ce'].backward()
    assert head.block.conv_out.conv.weight.grad is not None
    seg = head.predict(inputs, [s.metainfo for s in samples], test_cfg={})
    assert seg.shape == (2, 3, 32, 32)


def randomise_state(state):
    """Every float entry drawn at random (non-zero everywhere: a real
    test), variances positive."""
    for key, value in state.items():
        if key.endswith('running_var'):
            value.uniform_(0.5, 2)
        elif value.is_floating_point():
            value.normal_()
    return state


def renamed(state, *prefixes):
    """``state`` with each key's leading ``old`` prefix made ``new``
    (``prefixes``: ``old, new, old, new...``)."""
    rules = dict(zip(prefixes[::2], prefixes[1::2]))

    def rename(key):
        for old, new in rules.items():
            if key.startswith(old):
                return new + key[len(old):]
        return key

    return {rename(key): value for key, value in state.items()}


def test_equals_mmseg_nlhead_with_its_weights():
    torch.manual_seed(0)
    kwargs = dict(in_channels=32, channels=16, num_classes=3, norm_cfg=BN,
                  dropout_ratio=0.1)
    nl_head = NLHead(reduction=2, use_scale=True, mode='embedded_gaussian',
                     **kwargs)
    head = AttentionHead(
        block=dict(type='mmattn.NonLocal', reduction=2, use_scale=True,
                   mode='embedded_gaussian'), **kwargs)
    state = renamed(nl_head.state_dict(), 'nl_block.', 'block.')
    assert set(state) == set(head.state_dict())  # same modules, same names
    head.load_state_dict(randomise_state(state))
    nl_head.load_state_dict(renamed(state, 'block.', 'nl_block.'))
    # float64: the fused attention and mmseg's bmm sum in different orders,
    # which at these output magnitudes (~1e3) shows in float32's last bit.
    x = [torch.randn(2, 32, 7, 6, dtype=torch.float64)]
    torch.testing.assert_close(head.double().eval()(x),
                               nl_head.double().eval()(x))


def test_equals_mmseg_dnlhead_with_its_weights():
    torch.manual_seed(0)
    kwargs = dict(in_channels=32, channels=16, num_classes=3, norm_cfg=BN,
                  dropout_ratio=0.1)
    dnl_head = DNLHead(reduction=2, use_scale=True, temperature=0.05,
                       mode='embedded_gaussian', **kwargs)
    head = AttentionHead(
        block=dict(type='mmattn.DNL', reduction=2, use_scale=True,
                   temperature=0.05), **kwargs)
    state = renamed(dnl_head.state_dict(), 'dnl_block.', 'block.')
    assert set(state) == set(head.state_dict())  # same modules, same names
    head.load_state_dict(randomise_state(state))
    dnl_head.load_state_dict(renamed(state, 'block.', 'dnl_block.'))
    x = [torch.randn(2, 32, 7, 6, dtype=torch.float64)]  # as for NLHead
    torch.testing.assert_close(head.double().eval()(x),
                               dnl_head.double().eval()(x))


def test_equals_mmseg_ocrhead_given_the_same_object_regions():
    """``num_convs=1``: OCRHead's bottleneck conv, object context block and
    classifier; OCRHead takes the region logits the OCR block makes."""
    torch.manual_seed(0)
    kwargs = dict(in_channels=32, channels=16, num_classes=3, norm_cfg=BN,
                  dropout_ratio=0.1)
    ocr_head = OCRHead(ocr_channels=8, **kwargs)
    head = AttentionHead(
        block=dict(type='mmattn.OCR', num_classes=3, reduction=2),
        num_convs=1, concat_input=False, **kwargs)
    state = renamed(ocr_head.state_dict(), 'object_context_block.',
                    'block.', 'bottleneck.', 'convs.0.')
    # the same modules and names but the block's region classifier
    assert set(head.state_dict()) - set(state) == {
        'block.classifier.weight', 'block.classifier.bias'
    }
    state = randomise_state(head.state_dict())
    head.load_state_dict(state)
    ocr_head.load_state_dict(renamed(
        {k: v for k, v in state.items() if 'classifier' not in k},
        'block.', 'object_context_block.', 'convs.0.', 'bottleneck.'))
    head.eval(), ocr_head.eval()
    x = [torch.randn(2, 32, 7, 6)]
    with torch.no_grad():
        regions = head.block.classifier(head.convs[0](x[0]))
        torch.testing.assert_close(head(x), ocr_head(x, regions), atol=1e-5,
                                   rtol=1e-5)


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(block=dict(type='mmattn.NonLocal', in_channels=8)), ValueError,
     'in_channels=8'),
    (dict(block=dict(type='mmattn.NoSuchBlock')), KeyError, 'NoSuchBlock'),
    (dict(block='NonLocal'), ValueError, 'config dict'),
    (dict(block=dict(type='mmattn.NonLocal'), recurrence=0), ValueError,
     'recurrence'),
    (dict(block=dict(type='mmattn.NonLocal'), num_convs=3), ValueError,
     'num_convs'),
    (dict(block=dict(type='mmattn.NonLocal'), num_convs=0), ValueError,
     'num_convs'),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        AttentionHead(in_channels=32, channels=16, num_classes=3, **kwargs)


def test_every_registered_block_works_as_a_head_block():
    """The promise of the head: any mmattn block, one config line."""
    small = {'MHSA': dict(rel_pos_size=4), 'PSA': dict(mask_size=5)}
    for name in registered_blocks():
        cfg = dict(type=f'mmattn.{name}', **small.get(name, {}))
        head = AttentionHead(block=cfg, in_channels=64, channels=64,
                             num_classes=2).eval()
        assert head([torch.randn(1, 64, 5, 4)]).shape == (1, 2, 5, 4), name


def test_identity_blocks_keep_their_identity_in_the_head():
    for cls in (NonLocal, GlobalContext, CrissCross):
        head = AttentionHead(block=dict(type=cls), in_channels=16,
                             channels=16, num_classes=2)
        head.init_weights()
        x = torch.randn(1, 16, 5, 4)
        torch.testing.assert_close(head.block.eval()(x), x)
