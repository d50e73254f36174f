"""AttentionGate against the official ``GridAttentionBlock2D``
('concatenation'), with a gating signal and without one."""
import pytest
import torch
import torch.nn.functional as F

from mmattn.models.attention.attention_gate import AttentionGate


def official(block, x, g):
    """``_concatenation`` (even-sized x)."""
    theta_x = block.theta(x)
    phi_g = F.interpolate(block.phi(g), size=theta_x.shape[2:],
                          mode='bilinear', align_corners=False)
    att = torch.sigmoid(block.psi(F.relu(theta_x + phi_g)))
    att = F.interpolate(att, size=x.shape[2:], mode='bilinear',
                        align_corners=False)
    conv, norm = block.out
    y = conv(att.expand_as(x) * x)
    return F.batch_norm(y, norm.running_mean, norm.running_var, norm.weight,
                        norm.bias, False, 0., norm.eps)


@pytest.fixture
def block():
    torch.manual_seed(0)
    block = AttentionGate(16, gating_channels=32).eval()
    with torch.no_grad():
        block.out[1].running_mean.normal_()
        block.out[1].running_var.uniform_(0.5, 2)
    return block


def test_with_a_gating_signal(block):
    x, g = torch.randn(2, 16, 12, 10), torch.randn(2, 32, 6, 5)
    torch.testing.assert_close(block(x, g), official(block, x, g))
    coarse = torch.randn(2, 32, 3, 2)  # g from a coarser level
    torch.testing.assert_close(block(x, coarse), official(block, x, coarse))


def test_without_a_gating_signal_gates_on_x():
    torch.manual_seed(0)
    block = AttentionGate(16).eval()
    x = torch.randn(2, 16, 12, 10)
    torch.testing.assert_close(block(x), block(x, x))
    torch.testing.assert_close(block(x), official(block, x, x))


def test_odd_and_single_pixel_maps_are_padded():
    torch.manual_seed(0)
    block = AttentionGate(16).eval()
    for size in [(7, 9), (1, 1)]:
        x = torch.randn(1, 16, *size)
        assert block(x).shape == x.shape
    x = torch.randn(1, 16, 7, 9)
    padded = F.pad(x, (0, 1, 0, 1))
    att = torch.sigmoid(block.psi(F.relu(
        block.theta(padded) + F.interpolate(
            block.phi(x), size=(4, 5), mode='bilinear',
            align_corners=False))))
    att = F.interpolate(att, size=(7, 9), mode='bilinear', align_corners=False)
    torch.testing.assert_close(block(x), block.out(x * att))


def test_widths():
    block = AttentionGate(64, gating_channels=128)
    assert block.theta.weight.shape == (32, 64, 2, 2)
    assert block.theta.bias is None
    assert block.phi.weight.shape == (32, 128, 1, 1)
    assert block.psi.weight.shape == (1, 32, 1, 1)
    assert AttentionGate(1).theta.out_channels == 1
    assert AttentionGate(64, sub_sample=4).theta.stride == (4, 4)


def test_missing_gating_signal_with_other_channels():
    block = AttentionGate(16, gating_channels=32)
    with pytest.raises(ValueError, match='gating_channels'):
        block(torch.randn(1, 16, 4, 4))
