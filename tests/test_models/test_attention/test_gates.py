"""The shared pieces of ``_gates``: pools, the channel MLP and the batch
check of a BN on pooled descriptors."""
import pytest
import torch
from torch import nn

from mmattn.models.attention import _gates
from mmattn.models.attention._gates import (ChannelMLP, check_pooled_batch,
                                            global_avg_pool, global_max_pool,
                                            z_pool)


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


@pytest.mark.parametrize('hidden', [0, 2.5, None, True])
def test_channel_mlp_bad_width(hidden):
    with pytest.raises(ValueError, match='hidden_channels'):
        ChannelMLP(32, hidden)


@pytest.mark.parametrize('norm,batch,passes', [
    (nn.BatchNorm2d(4), 1, False),
    (nn.BatchNorm2d(4), 2, True),
    (nn.BatchNorm2d(4).eval(), 1, True),  # running statistics
    (nn.SyncBatchNorm(4), 1, False),  # one process: PyTorch's BN
    (nn.GroupNorm(2, 4), 1, True),
])
def test_check_pooled_batch(norm, batch, passes):
    block = nn.Identity()
    x = torch.randn(batch, 4, 3, 3)
    if passes:
        check_pooled_batch(block, norm, x)
    else:
        with pytest.raises(ValueError, match='^Identity cannot train on a '
                           'batch of 1 per GPU'):
            check_pooled_batch(block, norm, x)


def test_check_pooled_batch_lets_a_synced_bn_over_processes_pass(
        monkeypatch):
    """With two or more processes a SyncBN normalises over all of them."""
    monkeypatch.setattr(_gates, 'get_world_size', lambda: 2)
    check_pooled_batch(nn.Identity(), nn.SyncBatchNorm(4),
                       torch.randn(1, 4, 3, 3))
    with pytest.raises(ValueError, match='batch of 1'):
        check_pooled_batch(nn.Identity(), nn.BatchNorm2d(4),
                           torch.randn(1, 4, 3, 3))
