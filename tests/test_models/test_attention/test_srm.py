"""SRM against the official layer, and its guards for 1×1 maps and constant
channels."""
import torch
import torch.nn.functional as F

from mmattn.models.attention.srm import SRM


def official(block, x):
    """``SRMLayer``: style pooling with torch.std, channel-wise FC, BN."""
    n, c = x.shape[:2]
    t = torch.stack([x.view(n, c, -1).mean(2), x.view(n, c, -1).std(2)], 2)
    z = (t * block.cfc[None]).sum(2)[:, :, None, None]
    norm = block.norm
    z = F.batch_norm(z, norm.running_mean, norm.running_var, norm.weight,
                     norm.bias, False, 0., norm.eps)
    return x * torch.sigmoid(z)


def test_matches_the_official_layer():
    torch.manual_seed(0)
    block = SRM(32).eval()
    with torch.no_grad():
        block.cfc.normal_()
        block.norm.running_mean.normal_()
        block.norm.running_var.uniform_(0.5, 2)
    x = torch.randn(2, 32, 5, 7)
    torch.testing.assert_close(block(x), official(block, x))


def test_starts_from_zero_style_weights():
    block = SRM(16)
    with torch.no_grad():
        block.cfc.fill_(1.)
    block.init_weights()
    assert torch.equal(block.cfc, torch.zeros(16, 2))


def test_single_pixel_and_constant_channels_stay_finite():
    torch.manual_seed(0)
    block = SRM(8).train()
    with torch.no_grad():
        block.cfc.normal_()
    x = torch.randn(2, 8, 1, 1, requires_grad=True)
    assert torch.isfinite(block(x)).all()
    x = torch.randn(2, 8, 4, 4)
    x[:, :3] = 0.  # channels a ReLU switched off
    x.requires_grad_()
    block(x).sum().backward()
    assert torch.isfinite(x.grad).all()
    assert torch.isfinite(block.cfc.grad).all()
