"""The drop-in layers equal the torch.nn layers they stand for, keep the
input's memory format, and turn into them with ``to_reference``."""
import pytest
import torch
import torch.nn as nn

from mmattn.models.layers import LayerNorm2d, PointwiseConv2d
from mmattn.models.layers.reference import (PLAIN, ChannelsFirstLayerNorm,
                                            to_reference)

FORMATS = [torch.contiguous_format, torch.channels_last]


@pytest.mark.parametrize('memory_format', FORMATS)
@pytest.mark.parametrize('bias', [True, False])
def test_pointwise_conv_is_a_1x1_conv(memory_format, bias):
    torch.manual_seed(0)
    conv = PointwiseConv2d(6, 10, bias=bias)
    x = torch.randn(2, 6, 7, 5).contiguous(memory_format=memory_format)
    out = conv(x)
    assert out.is_contiguous(memory_format=memory_format)
    torch.testing.assert_close(
        out, nn.functional.conv2d(x, conv.weight, conv.bias), rtol=1e-5,
        atol=1e-6)
    assert conv.state_dict().keys() == nn.Conv2d(6, 10, 1,
                                                 bias=bias).state_dict().keys()


@pytest.mark.parametrize('memory_format', FORMATS)
def test_layer_norm_2d_is_the_official_channels_first_layer_norm(
        memory_format):
    torch.manual_seed(0)
    norm = LayerNorm2d(12, eps=1e-6)
    with torch.no_grad():
        norm.weight.normal_()
        norm.bias.normal_()
    x = (3 * torch.randn(2, 12, 5, 9) + 1).contiguous(
        memory_format=memory_format)
    out = norm(x)
    assert out.is_contiguous(memory_format=memory_format)
    official = to_reference(norm)
    assert type(official) is ChannelsFirstLayerNorm
    torch.testing.assert_close(out, official(x), rtol=1e-5, atol=1e-5)


def test_to_reference_copies_and_keeps_the_weights():
    model = nn.Sequential(PointwiseConv2d(4, 4), LayerNorm2d(4))
    reference = to_reference(model)
    assert [type(m) for m in reference] == [nn.Conv2d,
                                            ChannelsFirstLayerNorm]
    assert [type(m) for m in model] == [PointwiseConv2d, LayerNorm2d]
    for (k, a), b in zip(model.state_dict().items(),
                         reference.state_dict().values()):
        assert torch.equal(a, b) and a.data_ptr() != b.data_ptr(), k


def test_every_drop_in_holds_no_state_of_its_own():
    """``to_reference`` changes a drop-in's class in place: that is exact
    only while a drop-in keeps exactly the attributes of the layer it
    stands for."""
    from mmattn.models.layers import PolyphaseConv2d
    pairs = [
        (PolyphaseConv2d(4, 4, 7, padding=9, dilation=3, groups=4),
         nn.Conv2d(4, 4, 7, padding=9, dilation=3, groups=4)),
        (PointwiseConv2d(4, 6), nn.Conv2d(4, 6, 1)),
        (LayerNorm2d(4), ChannelsFirstLayerNorm(4, eps=1e-6)),
    ]
    assert {type(d) for d, _ in pairs} == set(PLAIN)
    for drop_in, plain in pairs:
        assert PLAIN[type(drop_in)] is type(plain)
        assert vars(drop_in).keys() == vars(plain).keys()
        assert {k: v for k, v in vars(drop_in).items() if not k.startswith(
            '_')} == {k: v for k, v in vars(plain).items()
                      if not k.startswith('_')}
