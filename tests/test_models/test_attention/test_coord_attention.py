"""CoordAttention: the reduced width max(8, C / r), the official layer names
and forward (adaptive pooling), the official MobileNetV2 + CA's size, and
bad arguments."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmattn.models.attention.coord_attention import CoordAttention


class OfficialLayout(nn.Module):
    """The official ``CoordAtt`` forward, written plainly: adaptive pools,
    h-swish as ``x * relu6(x + 3) / 6``, and the official attribute names."""

    def __init__(self, inp, mip):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, mip, 1)
        self.bn1 = nn.BatchNorm2d(mip)
        self.conv_h = nn.Conv2d(mip, inp, 1)
        self.conv_w = nn.Conv2d(mip, inp, 1)

    def forward(self, x):
        h, w = x.shape[2:]
        x_h = F.adaptive_avg_pool2d(x, (None, 1))
        x_w = F.adaptive_avg_pool2d(x, (1, None)).permute(0, 1, 3, 2)
        y = self.bn1(self.conv1(torch.cat([x_h, x_w], 2)))
        y = y * F.relu6(y + 3) / 6
        y_h, y_w = torch.split(y, [h, w], 2)
        a_h = self.conv_h(y_h).sigmoid()
        a_w = self.conv_w(y_w.permute(0, 1, 3, 2)).sigmoid()
        return x * a_w * a_h


@pytest.mark.parametrize('channels, width', [
    (16, 8), (64, 8), (256, 8), (512, 16), (1024, 32), (2048, 64), (96, 8),
    (800, 25)])
def test_reduced_width_is_max_8_c_over_32(channels, width):
    assert CoordAttention(channels).conv1.out_channels == width


def test_reduced_width_options():
    assert CoordAttention(256, ratio=16).conv1.out_channels == 16
    assert CoordAttention(256, ratio=1 / 4).conv1.out_channels == 64
    assert CoordAttention(64, min_channels=4).conv1.out_channels == 4


@pytest.mark.parametrize('size', [(7, 11), (1, 1), (1, 5), (6, 6)])
def test_matches_official_layout(size):
    torch.manual_seed(0)
    block = CoordAttention(32).eval()
    block.bn1.running_mean.uniform_(-1, 1)
    block.bn1.running_var.uniform_(0.5, 2)
    official = OfficialLayout(32, 8).eval()
    # Official weights load under the official names, nothing left over.
    official.load_state_dict(block.state_dict())
    x = torch.randn(2, 32, *size)
    torch.testing.assert_close(block(x), official(x))


def test_gates_vary_along_their_own_axis_only():
    torch.manual_seed(0)
    block = CoordAttention(16).eval()
    x = torch.randn(1, 16, 6, 9)
    ratio = block(x) / x
    # a_h * a_w is a rank-one map per channel: its 2×2 minors vanish.
    minors = ratio[..., :1, :1] * ratio[..., 1:, 1:] - \
        ratio[..., :1, 1:] * ratio[..., 1:, :1]
    torch.testing.assert_close(minors, torch.zeros_like(minors),
                               atol=1e-6, rtol=0)


def test_bad_arguments():
    with pytest.raises(ValueError, match='ratio'):
        CoordAttention(64, ratio=0, min_channels=0)
    with pytest.raises(ValueError, match='in_channels'):
        CoordAttention(0)


def mobilenet_v2_ca_params():
    """Parameters of the official MobileNetV2 + CA (``mbv2_ca.py``, width
    1.0, 1000 classes), built here layer by layer with this block after the
    depthwise conv of every inverted residual block that expands."""
    def conv_bn(cin, cout, k, groups=1):
        return nn.Sequential(nn.Conv2d(cin, cout, k, groups=groups,
                                       bias=False), nn.BatchNorm2d(cout))

    layers = [conv_bn(3, 32, 3)]
    cin = 32
    for t, c, n, _ in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                       (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1)]:
        for _ in range(n):
            hidden = cin * t
            if t != 1:
                layers.append(conv_bn(cin, hidden, 1))
            layers.append(conv_bn(hidden, hidden, 3, groups=hidden))
            if t != 1:
                layers.append(CoordAttention(hidden))
            layers.append(conv_bn(hidden, c, 1))
            cin = c
    layers += [conv_bn(cin, 1280, 1), nn.Linear(1280, 1000)]
    return sum(p.numel() for p in nn.Sequential(*layers).parameters())


def test_mobilenet_v2_ca_has_the_official_parameter_count():
    """3,950,648 parameters, the official model's count (README: 3.95M)."""
    count = mobilenet_v2_ca_params()
    assert count == 3_950_648
    assert round(count / 1e6, 2) == 3.95
