"""BilinearAttention against the official ``BilinearAttention`` (its
diagonal loop over the per-position outer products)."""
import torch
import torch.nn.functional as F

from mmattn.models.attention.bilinear_attention import BilinearAttention


def conv_block(seq, x):
    conv, norm = seq[0], seq[1]
    x = F.batch_norm(conv(x), norm.running_mean, norm.running_var,
                     norm.weight, norm.bias, False, 0., norm.eps)
    return F.relu(x)


def official(block, x):
    y = conv_block(block.reduce, x)
    n, c, h, w = y.shape
    y = y.permute(0, 2, 3, 1).reshape(-1, c)
    outer = torch.bmm(y.unsqueeze(2), y.unsqueeze(1))
    y = torch.cat(
        [torch.diagonal(outer, offset=-i, dim1=1, dim2=2) for i in range(c)],
        dim=1)
    y = y.view(n, h, w, -1).permute(0, 3, 1, 2)
    channel = conv_block(block.channel, F.avg_pool2d(y, y.shape[2:]))
    out = conv_block(block.embed, y) * channel
    return torch.sigmoid(out) * x


def test_matches_the_official_code():
    torch.manual_seed(0)
    block = BilinearAttention(64).eval()  # m = 4: 10 products
    with torch.no_grad():
        for m in block.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2)
    x = torch.randn(2, 64, 5, 6)
    torch.testing.assert_close(block(x), official(block, x))


def test_widths():
    block = BilinearAttention(256)  # m = 16: 136 products
    assert block.reduce[0].weight.shape == (16, 256, 1, 1)
    assert block.reduce[0].bias is not None  # the official ConvBlock
    assert block.embed[0].weight.shape == (256, 136, 1, 1)
    assert block.channel[0].weight.shape == (256, 136, 1, 1)
    assert block.rows.tolist()[:17] == list(range(16)) + [1]
    assert block.cols.tolist()[:17] == list(range(16)) + [0]
    with torch.device('meta'):  # at C = 2048, m = 128: 8256 products
        wide = BilinearAttention(2048)
    assert wide.embed[0].in_channels == wide.channel[0].in_channels == 8256
