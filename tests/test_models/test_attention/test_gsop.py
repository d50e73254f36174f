"""GSoP against the official ``chan_att``, and its float32 covariance under
bf16 autocast."""
import torch
import torch.nn.functional as F

from mmattn.models.attention.gsop import GSoP, covariance


def bn(x, norm):
    return F.batch_norm(x, norm.running_mean, norm.running_var, norm.weight,
                        norm.bias, False, 0., norm.eps)


def official(block, x):
    """``Bottleneck.chan_att`` with ``MPNCOV.CovpoolLayer``."""
    out = F.relu(x)
    out = F.relu(bn(block.reduce(out), block.reduce_norm))
    n, d, h, w = out.shape
    m = h * w
    flat = out.reshape(n, d, m)
    i_hat = (-1. / m / m) * torch.ones(m, m) + (1. / m) * torch.eye(m)
    cov = flat.bmm(i_hat.expand(n, m, m)).bmm(flat.transpose(1, 2))
    att = bn(cov.view(n, d, d, 1), block.row_norm)
    att = torch.sigmoid(block.fc(block.row_conv(att)))
    return x * att


def randomise_norms(block):
    with torch.no_grad():
        for norm in (block.reduce_norm, block.row_norm):
            norm.running_mean.normal_()
            norm.running_var.uniform_(0.5, 2)
            norm.weight.normal_()


def test_matches_the_official_code():
    torch.manual_seed(0)
    block = GSoP(32, hidden_channels=8).eval()
    randomise_norms(block)
    x = torch.randn(2, 32, 6, 7)
    torch.testing.assert_close(block(x), official(block, x))


def test_structure():
    block = GSoP(256)
    assert block.reduce.weight.shape == (128, 256, 1, 1)
    assert block.reduce.bias is not None
    assert block.row_conv.weight.shape == (512, 1, 128, 1)
    assert block.row_conv.groups == 128
    assert block.fc.weight.shape == (256, 512, 1, 1)
    assert GSoP(256, reduction_stride=2).reduce.stride == (2, 2)


def test_covariance_is_float32_under_autocast():
    torch.manual_seed(0)
    block = GSoP(32, hidden_channels=8).eval()
    seen = {}
    block.act.register_forward_hook(
        lambda m, args, out: seen.update(features=out))
    block.row_norm.register_forward_pre_hook(
        lambda m, args: seen.update(cov=args[0]))
    x = torch.randn(2, 32, 6, 7) + 5.
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        block(x.bfloat16())
    assert seen['features'].dtype == torch.bfloat16
    assert seen['cov'].dtype == torch.float32
    expected = covariance(seen['features'].double()).unsqueeze(-1)
    torch.testing.assert_close(
        seen['cov'].double(), expected, atol=1e-5, rtol=1e-5)


def test_reduction_stride_keeps_the_shape():
    block = GSoP(16, hidden_channels=8, reduction_stride=2).eval()
    for size in [(7, 9), (1, 1), (8, 8)]:
        x = torch.randn(1, 16, *size)
        assert block(x).shape == x.shape
