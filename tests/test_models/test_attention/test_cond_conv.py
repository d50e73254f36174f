"""CondConv equals an explicit per-sample convolution with the mixed kernel
(and bias); routing weights; expert init; bad arguments."""
import pytest
import torch
import torch.nn.functional as F

from mmattn.models.attention.cond_conv import CondConv


@pytest.mark.parametrize('kwargs', [
    dict(), dict(bias=True, groups=4, kernel_size=1),
    dict(num_experts=1, kernel_size=5)])
def test_equals_per_sample_conv_with_mixed_kernel(kwargs):
    torch.manual_seed(0)
    block = CondConv(8, norm_cfg=None, act_cfg=None, **kwargs)
    if block.bias is not None:
        block.bias.data.normal_()
    x = torch.randn(3, 8, 7, 5)
    routing = block.routing_weights(x)
    outs = []
    for n in range(3):
        kernel = sum(r * w for r, w in zip(routing[n], block.weight))
        bias = None if block.bias is None else sum(
            r * b for r, b in zip(routing[n], block.bias))
        outs.append(F.conv2d(x[n:n + 1], kernel, bias,
                             padding=block.kernel_size // 2,
                             groups=block.groups))
    torch.testing.assert_close(block(x), torch.cat(outs), rtol=1e-4,
                               atol=1e-5)


def test_routing_is_a_sigmoid_of_the_pooled_input():
    block = CondConv(16, num_experts=4)
    x = torch.randn(2, 16, 5, 5)
    expected = torch.sigmoid(block.routing(x.mean((2, 3))))
    torch.testing.assert_close(block.routing_weights(x), expected)


def test_norm_and_activation_follow_the_conv():
    torch.manual_seed(0)
    block = CondConv(16).eval()
    bare = CondConv(16, norm_cfg=None, act_cfg=None)
    bare.load_state_dict(block.state_dict(), strict=False)
    x = torch.randn(2, 16, 4, 6)
    torch.testing.assert_close(block(x), F.relu(block.norm(bare(x))))


def test_experts_are_initialised_one_by_one():
    torch.manual_seed(0)
    block = CondConv(64, num_experts=4)
    block.weight.data.zero_()
    block.init_weights()
    std = (2 / (64 * 9))**0.5  # kaiming, fan_out = C * 3 * 3
    for expert in block.weight:
        assert abs(expert.std().item() - std) < 0.1 * std
    assert not torch.equal(block.weight[0], block.weight[1])


@pytest.mark.parametrize('kwargs, name', [
    (dict(groups=3), 'groups'), (dict(num_experts=0), 'num_experts'),
    (dict(kernel_size=2), 'kernel_size'),
    (dict(in_channels=0), 'in_channels')])
def test_bad_arguments(kwargs, name):
    kwargs.setdefault('in_channels', 8)
    with pytest.raises(ValueError, match=name):
        CondConv(**kwargs)
