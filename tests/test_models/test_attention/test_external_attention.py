"""ExternalAttention: the official forward, double normalisation, the
memory init and independent memories."""
import pytest
import torch

from mmattn.models.attention.external_attention import ExternalAttention


def official(m, x):
    """EANet's External_attention.forward on the block's weights."""
    idn = x
    x = m.conv1(x)
    b, c, h, w = x.size()
    attn = m.linear_0(x.view(b, c, h * w))
    attn = torch.softmax(attn, dim=-1)
    attn = attn / (1e-9 + attn.sum(dim=1, keepdim=True))
    x = m.linear_1(attn).view(b, c, h, w)
    return torch.relu(m.norm(m.conv2(x)) + idn)


def test_matches_official():
    torch.manual_seed(0)
    block = ExternalAttention(16, memory_size=8)
    x = torch.randn(2, 16, 5, 7)
    torch.testing.assert_close(block(x), official(block, x))  # train: BN
    block.eval()
    torch.testing.assert_close(block(x), official(block, x))


def test_double_normalisation():
    block = ExternalAttention(8, memory_size=4)
    captured = {}
    block.linear_1.register_forward_hook(
        lambda m, args, out: captured.update(attn=args[0]))
    block(torch.randn(3, 8, 6, 5))
    attn = captured['attn']  # (N, S, HW)
    torch.testing.assert_close(attn.sum(1), torch.ones(3, 30))


def test_memories_start_transposed_and_train_apart():
    block = ExternalAttention(8, memory_size=4)
    m_k, m_v = block.linear_0.weight, block.linear_1.weight
    torch.testing.assert_close(m_k, m_v.transpose(0, 1))
    assert m_k.data_ptr() != m_v.data_ptr()
    assert m_v.std().item() == pytest.approx((2 / 8)**0.5, rel=0.5)
    block.linear_1.weight.data.zero_()
    block.init_weights()  # re-applies the official init
    torch.testing.assert_close(block.linear_0.weight,
                               block.linear_1.weight.transpose(0, 1))
    assert block.linear_1.weight.abs().sum() > 0


@pytest.mark.parametrize('kwargs, name', [
    (dict(in_channels=0), 'in_channels'),
    (dict(in_channels=8, memory_size=0), 'memory_size'),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ExternalAttention(**kwargs)
