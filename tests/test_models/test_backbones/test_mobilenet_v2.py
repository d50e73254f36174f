"""MobileNetV2: parameter counts against the official models (plain, + CA,
+ SE, + CBAM, widths), every checkpoint layout against a model of that
layout (the official CA and torchvision re-writes of mobile_reference.py,
mmseg's and mmdet's own MobileNetV2), output strides 32, 16 and 8, and the
arch and argument errors. What MobileNeXt shares (the attention hook,
freezing, ONNX, compile) is in test_mobile_backbones.py."""
import pytest
import torch
from mmdet.models.backbones import MobileNetV2 as MMDetMobileNetV2
from mmseg.models.backbones import MobileNetV2 as MMSegMobileNetV2
from mobile_reference import (OfficialMBV2, TorchvisionMBV2, param_count,
                              randomise, relative_error)

from mmattn.checkpoint import CheckpointError
from mmattn.models.backbones import MobileNetV2
from mmattn.models.backbones.mobilenet_v2 import (convert_mobilenet_v2,
                                                  detect_mobilenet_v2_format)

CA = dict(type='mmattn.CoordAttention')
SE = dict(type='mmattn.SE', ratio=24, act_cfg=dict(type='ReLU6'))
CBAM = dict(type='mmattn.CBAM', ratio=24)
ALL = tuple(range(8))
OS8 = dict(strides=(1, 2, 2, 1, 1, 1, 1), dilations=(1, 1, 1, 2, 2, 4, 4))
OS16 = dict(strides=(1, 2, 2, 2, 1, 1, 1), dilations=(1, 1, 1, 1, 1, 2, 2))


def with_head(model, num_classes=1000):
    """Parameters with a ``num_classes`` linear classifier on conv2."""
    return param_count(model) + (model.last_channels + 1) * num_classes


@pytest.mark.parametrize('attention, reference, expected, published', [
    (None, TorchvisionMBV2(), 3_504_872, 3.5),
    (CA, OfficialMBV2(attention='ca'), 3_950_648, 3.95),
    (SE, OfficialMBV2(attention='se'), 3_888_208, 3.89),
    (CBAM, OfficialMBV2(attention='cbam'), 3_889_808, 3.89),
])
def test_parameter_count_is_the_official_models(attention, reference,
                                                expected, published):
    """Counts with the 1000-class head; ``published``: the CA README's
    table (MobileNetV2-1.0, + SE, + CBAM, + CA)."""
    count = with_head(MobileNetV2(attention=attention, out_indices=7))
    assert count == param_count(reference) == expected
    assert round(count / 1e6, 2) == published


@pytest.mark.parametrize('widen_factor', [0.35, 0.5, 0.75, 1.4])
def test_widths_are_the_official_rounding(widen_factor):
    model = MobileNetV2(widen_factor=widen_factor, out_indices=ALL)
    assert with_head(model) == param_count(TorchvisionMBV2(widen_factor))
    ref = TorchvisionMBV2(widen_factor).eval()
    x = torch.rand(1, 3, 64, 64)
    assert [o.shape for o in model.eval()(x)] == \
        [o.shape for o in ref.stage_outputs(x)]


def stage_outputs_match(model, reference, x, tol=1e-5):
    with torch.no_grad():
        outs = model.eval()(x)
        refs = reference.stage_outputs(x)
    assert len(outs) == len(refs)
    for i, (out, ref) in enumerate(zip(outs, refs)):
        assert out.shape == ref.shape, i
        assert relative_error(out, ref) <= tol, (i, relative_error(out, ref))


def pretrained(tmp_path, checkpoint, **kwargs):
    """A MobileNetV2 that loads ``checkpoint`` through its init_cfg."""
    path = tmp_path / 'checkpoint.pth'
    torch.save(checkpoint, path)
    model = MobileNetV2(init_cfg=dict(type='Pretrained', checkpoint=str(path)),
                        **kwargs)
    model.init_weights()
    return model


def test_official_ca_checkpoint_loads_as_it_is(tmp_path):
    """``mbv2_ca.pth``'s layout, classifier included: stage outputs equal
    the official model's."""
    official = randomise(OfficialMBV2(attention='ca'))
    state_dict = official.state_dict()
    assert detect_mobilenet_v2_format(state_dict) == 'official_ca'
    model = pretrained(tmp_path, state_dict, attention=CA, out_indices=ALL)
    stage_outputs_match(model, official, torch.randn(2, 3, 67, 93))


def test_torchvision_checkpoint_loads_as_it_is(tmp_path):
    official = randomise(TorchvisionMBV2())
    state_dict = official.state_dict()
    assert detect_mobilenet_v2_format(state_dict) == 'torchvision'
    model = pretrained(tmp_path, state_dict, out_indices=ALL)
    stage_outputs_match(model, official, torch.randn(2, 3, 67, 93))


class HostReference(torch.nn.Module):
    """A host's MobileNetV2 (all stages out) with ``stage_outputs``."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def stage_outputs(self, x):
        return self.net(x)


@pytest.mark.parametrize('settings', [OS8, OS16, {}])
def test_mmpretrain_checkpoint_and_mmseg_dense_settings(tmp_path, settings):
    """An mmpretrain classifier checkpoint (``backbone.`` and ``head.``
    keys, what mmseg's ``mmcls://mobilenet_v2`` is) loads into a backbone
    without conv2 (out_indices up to 6: its keys are dropped), and with
    mmseg's strides and dilations the stages equal mmseg's MobileNetV2."""
    reference = randomise(HostReference(
        MMSegMobileNetV2(out_indices=tuple(range(7)), **settings)))
    state_dict = {f'backbone.{k}': v
                  for k, v in reference.net.state_dict().items()}
    assert detect_mobilenet_v2_format(reference.net.state_dict()) == \
        'mmpretrain'
    state_dict.update({
        'backbone.conv2.conv.weight': torch.zeros(1280, 320, 1, 1),
        'backbone.conv2.bn.weight': torch.zeros(1280),
        'head.fc.weight': torch.zeros(1000, 1280),
        'head.fc.bias': torch.zeros(1000)})
    model = pretrained(tmp_path, dict(state_dict=state_dict),
                       out_indices=tuple(range(7)), **settings)
    assert not hasattr(model, 'conv2')
    stage_outputs_match(model, reference, torch.randn(2, 3, 65, 81))


def test_mmdet_checkpoint_is_this_layout(tmp_path):
    """mmdet's MobileNetV2 names its modules as mmattn's: its weights load
    unchanged and every stage, conv2 included, equals it."""
    reference = randomise(HostReference(MMDetMobileNetV2(out_indices=ALL)))
    state_dict = reference.net.state_dict()
    assert detect_mobilenet_v2_format(state_dict) == 'mmattn'
    model = pretrained(tmp_path, state_dict, out_indices=ALL)
    stage_outputs_match(model, reference, torch.randn(2, 3, 64, 64))


def test_own_checkpoint_round_trip_with_prefix(tmp_path):
    torch.manual_seed(0)
    source = randomise(MobileNetV2(attention=SE))
    checkpoint = dict(state_dict={f'backbone.{k}': v
                                  for k, v in source.state_dict().items()})
    model = pretrained(tmp_path, checkpoint, attention=SE)
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_checkpoint_of_another_attention_names_the_keys(tmp_path):
    official = randomise(OfficialMBV2(attention='ca'))
    with pytest.raises(CheckpointError, match='attention.conv1.weight'):
        pretrained(tmp_path, official.state_dict(), attention=SE)


def test_flat_layouts_follow_a_custom_arch():
    """The flat ``features.N`` keys are numbered through the network;
    ``num_blocks`` maps them back to stages."""
    state_dict = {f'features.{n}.conv.0.0.weight': n for n in range(1, 4)}
    state_dict['features.3.conv.3.weight'] = 3
    converted = convert_mobilenet_v2(state_dict, num_blocks=(2, 1))
    assert converted == {'layer1.0.depthwise_conv.conv.weight': 1,
                         'layer1.1.depthwise_conv.conv.weight': 2,
                         'layer2.0.expand_conv.conv.weight': 3,
                         'layer2.0.linear_conv.bn.weight': 3}


# -- strides, shapes and arguments --------------------------------------------
@pytest.mark.parametrize('settings, strides', [
    ({}, (2, 4, 8, 16, 16, 32, 32, 32)),
    (OS16, (2, 4, 8, 16, 16, 16, 16, 16)),
    (OS8, (2, 4, 8, 8, 8, 8, 8, 8)),
])
@pytest.mark.parametrize('size', [(64, 64), (67, 93)])
def test_output_strides(settings, strides, size):
    model = MobileNetV2(attention=CA, out_indices=ALL, **settings).eval()
    with torch.no_grad():
        outs = model(torch.rand(1, 3, *size))
    channels = (16, 24, 32, 64, 96, 160, 320, 1280)
    for out, c, s in zip(outs, channels, strides):
        assert out.shape == (1, c, -(-size[0] // s), -(-size[1] // s))


def test_dilation_applies_to_the_first_block_of_a_stage():
    """As in mmseg's MobileNetV2 (whose outputs these match above)."""
    model = MobileNetV2(out_indices=6, **OS8)
    assert model.layer6[0].depthwise_conv.conv.dilation == (4, 4)
    assert model.layer6[1].depthwise_conv.conv.dilation == (1, 1)
    assert model.layer4[0].depthwise_conv.conv.stride == (1, 1)


def test_attention_sits_after_the_depthwise_conv_of_expanding_blocks():
    model = MobileNetV2(attention=CA)
    assert not list(model.layer1[0].attention.parameters())  # t = 1
    block = model.layer2[0]
    assert block.attention.in_channels == 96
    order = [name for name, _ in block.named_children()]
    assert order == ['expand_conv', 'depthwise_conv', 'attention',
                     'linear_conv']


def test_out_indices_past_the_last_output_are_not_built():
    model = MobileNetV2(out_indices=(1, 4))
    assert not hasattr(model, 'layer6') and not hasattr(model, 'conv2')
    assert model.classifier_keys[-3:] == (r'^layer6\.', r'^layer7\.',
                                          r'^conv2\.')
    outs = model.eval()(torch.rand(1, 3, 32, 32))
    assert [o.shape[1] for o in outs] == [24, 96]


def test_custom_arch():
    arch = dict(expand_ratios=[1, 4], channels=[8, 16], num_blocks=[1, 2],
                strides=[1, 2], last_channels=64)
    model = MobileNetV2(arch, out_indices=(-1, 0)).eval()
    outs = model(torch.rand(1, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(1, 8, 16, 16), (1, 64, 8, 8)]


@pytest.mark.parametrize('kwargs, culprit', [
    (dict(arch='v3'), 'arch'),
    (dict(arch=dict(channels=[8])), 'custom arch'),
    (dict(widen_factor=0), 'widen_factor'),
    (dict(strides=(1, 2)), 'strides'),
    (dict(strides=(1, 3, 2, 2, 1, 2, 1)), 'strides'),
    (dict(dilations=(1, 1, 1, 0, 1, 1, 1)), 'dilations'),
    (dict(out_indices=(8, )), 'out_indices'),
    (dict(frozen_stages=8), 'frozen_stages'),
    (dict(attention='CoordAttention'), 'attention'),
    (dict(attention=dict(type='mmattn.NoSuchBlock')), 'NoSuchBlock'),
    (dict(attention_stages=(True, ) * 7), 'attention_stages'),
    (dict(attention=CA, attention_stages=(True, ) * 6), 'attention_stages'),
])
def test_bad_arguments_are_named(kwargs, culprit):
    with pytest.raises(ValueError, match=culprit):
        MobileNetV2(**kwargs)
