"""PAM, CAM and DANet against the official ``PAM_Module`` / ``CAM_Module``
formulation (explicit bmm), PAM without an HW×HW tensor, and the combined
block as the sum of the two residual terms."""
import pytest
import torch
from largest_tensor import largest_tensor

from mmattn.models.attention.danet import CAM, PAM, DANet


def official_pam(block, x):
    b, c, h, w = x.shape
    query = block.query_conv(x).view(b, -1, h * w).permute(0, 2, 1)
    key = block.key_conv(x).view(b, -1, h * w)
    attention = torch.softmax(torch.bmm(query, key), dim=-1)
    value = block.value_conv(x).view(b, -1, h * w)
    out = torch.bmm(value, attention.permute(0, 2, 1)).view(b, c, h, w)
    return block.gamma * out + x


def official_cam(block, x):
    b, c, h, w = x.shape
    query = x.view(b, c, -1)
    energy = torch.bmm(query, query.permute(0, 2, 1))
    energy_new = energy.max(-1, keepdim=True)[0].expand_as(energy) - energy
    out = torch.bmm(torch.softmax(energy_new, dim=-1), query)
    return block.gamma * out.view(b, c, h, w) + x


def randomised(block):
    torch.manual_seed(0)
    with torch.no_grad():
        for param in block.parameters():
            param.normal_(0, 0.3)
    return block


@pytest.mark.parametrize('shape', [(2, 32, 7, 9), (1, 32, 1, 1)])
def test_pam_matches_official(shape):
    block = randomised(PAM(32))
    x = torch.randn(*shape, requires_grad=True)
    out, ref = block(x), official_pam(block, x)
    torch.testing.assert_close(out, ref)
    grads = torch.autograd.grad(out.sum(), [x, *block.parameters()])
    refs = torch.autograd.grad(ref.sum(), [x, *block.parameters()])
    for grad, expected in zip(grads, refs):
        torch.testing.assert_close(grad, expected, atol=1e-4, rtol=1e-4)


def test_cam_matches_official():
    block = randomised(CAM(32))
    x = torch.randn(2, 32, 7, 9) * 0.2
    torch.testing.assert_close(block(x), official_cam(block, x))


def test_danet_sums_both_attention_terms():
    block = randomised(DANet(32))
    x = torch.randn(2, 32, 7, 9) * 0.2
    torch.testing.assert_close(
        block(x), block.pam(x) + block.cam(x) - x, atol=1e-5, rtol=1e-5)


def test_pam_has_no_hw_by_hw_tensor():
    block = PAM(32)
    x = torch.randn(1, 32, 12, 12, requires_grad=True)
    numel, op = largest_tensor(lambda t: block(t).sum().backward(), x)
    assert numel <= 32 * 144, op  # the input's size; HW×HW is 144²


@pytest.mark.parametrize('cls', [PAM, CAM, DANet])
def test_init_weights_zeroes_gamma(cls):
    block = randomised(cls(32))
    block.init_weights()
    gammas = [p for name, p in block.named_parameters() if 'gamma' in name]
    assert gammas and not any(g.item() for g in gammas)
