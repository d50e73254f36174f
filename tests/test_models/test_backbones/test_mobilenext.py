"""MobileNeXt: parameter counts and stage outputs against the official
``mnext.py`` (mobile_reference.py), its checkpoint layout, the identity
tensor multiplier, output strides 32, 16 and 8, where the attention goes,
and argument errors. The hook, freezing, ONNX and compile are in
test_mobile_backbones.py."""
import pytest
import torch
from mobile_reference import (OfficialMobileNeXt, param_count, randomise,
                              relative_error)

from mmattn.models.backbones import MobileNeXt
from mmattn.models.backbones.mobilenext import SandGlass, convert_mobilenext

CA = dict(type='mmattn.CoordAttention')
ALL = tuple(range(8))
OS16 = dict(strides=(2, 1, 2, 2, 1, 1, 1, 1),
            dilations=(1, 1, 1, 1, 1, 2, 2, 2))
OS8 = dict(strides=(2, 1, 2, 1, 1, 1, 1, 1),
           dilations=(1, 1, 1, 2, 2, 4, 4, 4))


def with_head(model, num_classes=1000):
    """Parameters with the official classifier (a linear layer on the last
    stage's channels)."""
    return param_count(model) + (model.layer8[-1].expand_conv.conv
                                 .out_channels + 1) * num_classes


@pytest.mark.parametrize('widen_factor', [0.5, 0.75, 1.0, 1.4])
def test_parameter_count_is_the_official_models(widen_factor):
    model = MobileNeXt(widen_factor=widen_factor, out_indices=7)
    assert with_head(model) == param_count(OfficialMobileNeXt(widen_factor))


def test_parameter_counts_with_attention():
    """3,535,416 plain (the MobileNeXt README: 3.5M); with CA after the
    first depthwise conv (Fig. 3(b)), 3,971,626. The CA README's 4.09M for
    MobileNeXt + CA is not this placement (see the class docstring)."""
    assert with_head(MobileNeXt(out_indices=7)) == 3_535_416
    assert with_head(MobileNeXt(attention=CA, out_indices=7)) == 3_971_626


@pytest.mark.parametrize('identity_div, multiplier', [(1, 1.0), (2, 0.5)])
def test_official_checkpoint_loads_and_matches(tmp_path, identity_div,
                                               multiplier):
    """The official layout under ``state_dict`` with DDP's ``module.``
    prefix and the classifier: stage outputs equal ``mnext.py``'s."""
    official = randomise(OfficialMobileNeXt(identity_div=identity_div))
    path = tmp_path / 'mnext.pth.tar'
    torch.save(dict(epoch=1, state_dict={
        f'module.{k}': v for k, v in official.state_dict().items()}), path)
    model = MobileNeXt(identity_tensor_multiplier=multiplier,
                       out_indices=ALL,
                       init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    x = torch.randn(2, 3, 67, 93)
    with torch.no_grad():
        outs, refs = model.eval()(x), official.stage_outputs(x)
    for i, (out, ref) in enumerate(zip(outs, refs)):
        assert out.shape == ref.shape, i
        assert relative_error(out, ref) <= 1e-5, (i, relative_error(out, ref))


def test_converter_reads_the_three_block_forms():
    official = OfficialMobileNeXt()
    converted = convert_mobilenext(official.state_dict())
    assert converted.keys() == MobileNeXt(out_indices=7).state_dict().keys() \
        | {'classifier.1.weight', 'classifier.1.bias'}
    assert convert_mobilenext(converted) == converted  # already mmattn's


def test_block_forms_follow_the_official_code():
    model = MobileNeXt(out_indices=7)

    def form(block):
        return (not isinstance(block.depthwise_conv1, torch.nn.Identity),
                not isinstance(block.depthwise_conv2, torch.nn.Identity),
                block.identity_channels > 0)

    assert form(model.layer1[0]) == (True, True, False)  # t = 2
    assert form(model.layer2[0]) == (True, True, False)  # n = 1, s = 1
    assert form(model.layer3[0]) == (False, True, False)  # s = 2
    assert form(model.layer5[0]) == (False, False, False)  # s = 1
    assert form(model.layer5[1]) == (True, True, True)
    assert form(model.layer8[0]) == (True, True, False)


def test_attention_follows_the_first_depthwise_conv():
    model = MobileNeXt(attention=CA)
    block = model.layer3[1]
    assert block.attention.in_channels == 192
    assert [name for name, _ in block.named_children()] == [
        'depthwise_conv1', 'attention', 'reduce_conv', 'expand_conv',
        'depthwise_conv2']
    assert not list(model.layer3[0].attention.parameters())  # no dw1


def test_partial_identity_tensor():
    torch.manual_seed(0)
    block = SandGlass(16, 16, 8, identity_channels=4).eval()
    x = torch.randn(1, 16, 5, 7)
    with torch.no_grad():
        out = block(x)
        branch = block.depthwise_conv2(block.expand_conv(
            block.reduce_conv(block.depthwise_conv1(x))))
    torch.testing.assert_close(out[:, :4], branch[:, :4] + x[:, :4])
    torch.testing.assert_close(out[:, 4:], branch[:, 4:])


@pytest.mark.parametrize('settings, strides', [
    ({}, (4, 4, 8, 16, 16, 32, 32, 32)),
    (OS16, (4, 4, 8, 16, 16, 16, 16, 16)),
    (OS8, (4, 4, 8, 8, 8, 8, 8, 8)),
])
@pytest.mark.parametrize('size', [(64, 64), (67, 93)])
def test_output_strides(settings, strides, size):
    model = MobileNeXt(attention=CA, out_indices=ALL, **settings).eval()
    with torch.no_grad():
        outs = model(torch.rand(1, 3, *size))
    channels = (96, 144, 192, 288, 384, 576, 960, 1280)
    for out, c, s in zip(outs, channels, strides):
        assert out.shape == (1, c, -(-size[0] // s), -(-size[1] // s))


def test_strides_keep_the_weights():
    """Dense settings change strides and dilations, not the modules."""
    plain = MobileNeXt(out_indices=7).state_dict()
    dense = MobileNeXt(out_indices=7, **OS8)
    assert {k: v.shape for k, v in dense.state_dict().items()} == \
        {k: v.shape for k, v in plain.items()}
    assert dense.layer4[0].depthwise_conv2.conv.stride == (1, 1)
    assert dense.layer4[0].depthwise_conv2.conv.dilation == (2, 2)


@pytest.mark.parametrize('kwargs, culprit', [
    (dict(identity_tensor_multiplier=0), 'identity_tensor_multiplier'),
    (dict(identity_tensor_multiplier=1.5), 'identity_tensor_multiplier'),
    (dict(strides=(2, 1, 2, 2, 2, 2, 1, 1)), r'strides\[4\]=2'),
    (dict(strides=(2, 1, 2, 2, 1, 2, 1)), 'strides'),
    (dict(widen_factor=-1), 'widen_factor'),
    (dict(attention=CA, attention_stages=(True, ) * 7), 'attention_stages'),
])
def test_bad_arguments_are_named(kwargs, culprit):
    with pytest.raises(ValueError, match=culprit):
        MobileNeXt(**kwargs)
