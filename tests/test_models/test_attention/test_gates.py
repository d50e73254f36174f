"""The shared pieces of ``_gates``: pools and the channel MLP."""
import pytest
import torch
from torch import nn

from mmattn.models.attention._gates import (ChannelMLP, global_avg_pool,
                                            global_max_pool, z_pool)


def test_pools():
    x = torch.randn(2, 3, 5, 7)
    torch.testing.assert_close(global_avg_pool(x),
                               nn.AdaptiveAvgPool2d(1)(x))
    torch.testing.assert_close(global_max_pool(x),
                               nn.AdaptiveMaxPool2d(1)(x))
    pooled = z_pool(x)
    assert pooled.shape == (2, 2, 5, 7)
    torch.testing.assert_close(pooled[:, 0], x.max(1)[0])  # max first
    torch.testing.assert_close(pooled[:, 1], x.mean(1))


def test_channel_mlp():
    mlp = ChannelMLP(32, 4)
    assert [name for name, _ in mlp.named_children()] == ['fc1', 'act', 'fc2']
    assert mlp.fc1.weight.shape == (4, 32, 1, 1)
    assert mlp(torch.randn(2, 32, 1, 1)).shape == (2, 32, 1, 1)
    mlp = ChannelMLP(32, 4, out_channels=64, norm_cfg=dict(type='BN'),
                     act_cfg=dict(type='SiLU'), bias=False)
    assert [name for name, _ in mlp.named_children()] == [
        'fc1', 'norm', 'act', 'fc2']
    assert isinstance(mlp.norm, nn.BatchNorm2d)
    assert isinstance(mlp.act, nn.SiLU)
    assert mlp.fc1.bias is None and mlp.fc2.out_channels == 64


@pytest.mark.parametrize('hidden', [0, 2.5, None])
def test_channel_mlp_bad_width(hidden):
    with pytest.raises(ValueError, match='hidden_channels'):
        ChannelMLP(32, hidden)
