"""scSE: every fusion against a reference written from the official
``ChannelSELayer`` / ``SpatialSELayer``, and bad arguments."""
import pytest
import torch
import torch.nn.functional as F

from mmattn.models.attention.scse import scSE


def recalibrated(block, x):
    """cSE(x) and sSE(x) as the official layers compute them."""
    mlp = block.channel_mlp
    squeezed = x.view(*x.shape[:2], -1).mean(2)
    hidden = F.relu(
        F.linear(squeezed, mlp.fc1.weight.flatten(1), mlp.fc1.bias))
    gate = torch.sigmoid(F.linear(hidden, mlp.fc2.weight.flatten(1),
                                  mlp.fc2.bias))
    channel = x * gate[:, :, None, None]
    spatial = x * torch.sigmoid(block.spatial_conv(x))
    return channel, spatial


@pytest.mark.parametrize('fusion', ['max', 'add', 'mul', 'concat'])
def test_fusions_match_reference(fusion):
    torch.manual_seed(0)
    block = scSE(16, fusion=fusion)
    x = torch.randn(2, 16, 5, 8)
    channel, spatial = recalibrated(block, x)
    expected = {
        'max': lambda: torch.max(channel, spatial),
        'add': lambda: channel + spatial,
        'mul': lambda: channel * spatial,
        'concat': lambda: block.fuse(torch.cat([channel, spatial], 1)),
    }[fusion]()
    torch.testing.assert_close(block(x), expected)


def test_widths():
    block = scSE(64)
    assert block.channel_mlp.fc1.out_channels == 32  # official ratio 2
    assert block.spatial_conv.weight.shape == (1, 64, 1, 1)
    assert block.spatial_conv.bias is not None
    assert not hasattr(block, 'fuse')
    assert scSE(64, fusion='concat').fuse.weight.shape == (64, 128, 1, 1)
    assert scSE(64, ratio=16).channel_mlp.fc1.out_channels == 4


@pytest.mark.parametrize('kwargs, name', [
    (dict(fusion='cat'), 'fusion'),
    (dict(ratio=0), 'ratio'),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        scSE(16, **kwargs)
