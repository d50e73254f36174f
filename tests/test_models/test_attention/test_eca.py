"""ECA: the adaptive kernel formula, the official layer, and the 80
parameters ECA-Net50 adds to ResNet-50."""
import pytest
import torch
import torch.nn.functional as F
from resnet_counts import RESNET50_PARAMS, resnet50_params, stage_plugins

from mmattn.models.attention.eca import ECA, eca_kernel_size


@pytest.mark.parametrize('channels,kernel', [
    (4, 1), (8, 3), (16, 3), (32, 3), (64, 3), (128, 5), (256, 5),
    (512, 5), (1024, 5), (2048, 7), (4096, 7), (8192, 7)])
def test_kernel_formula(channels, kernel):
    assert eca_kernel_size(channels) == kernel
    assert ECA(channels).conv.kernel_size == (kernel, )


def test_formula_parameters():
    assert eca_kernel_size(256, gamma=1, beta=0) == 9
    assert eca_kernel_size(64, gamma=3, beta=2) == 3


def test_explicit_kernel_size_wins():
    block = ECA(2048, kernel_size=3)
    assert block.conv.kernel_size == (3, )
    assert block.conv.padding == (1, )
    assert block.conv.bias is None


def test_matches_the_official_layer():
    torch.manual_seed(0)
    block = ECA(64, kernel_size=5)
    x = torch.randn(2, 64, 5, 7)
    # eca_layer: avg pool, conv1d over the channel axis, sigmoid
    y = F.conv1d(x.mean((2, 3))[:, None], block.conv.weight, padding=2)
    torch.testing.assert_close(block(x), x * torch.sigmoid(y)[:, 0, :, None,
                                                              None])


def test_eca_resnet50_adds_80_parameters():
    """The official ECA-Net50 (k_size 3, 5, 5, 7): "80 vs. 24.37M"."""
    plugins = stage_plugins(
        [dict(type='mmattn.ECA', kernel_size=k) for k in (3, 5, 5, 7)])
    assert resnet50_params(plugins) == RESNET50_PARAMS + 80
    formula = [dict(cfg=dict(type='mmattn.ECA'), position='after_conv3')]
    # the formula's 5, 5, 5, 7: 3 * 5 + 4 * 5 + 6 * 5 + 3 * 7
    assert resnet50_params(formula) == RESNET50_PARAMS + 86


def test_eca_paper_counts_in_units_of_2_to_the_20():
    """ECA-Net's table lists ResNet-50 and ECA-Net50 at 24.37M and
    SENet-50 at 26.77M, not the usual 25.56M and 28.09M: its counts are in
    units of 2^20, and its SE blocks have no biases (as senet.pytorch)."""
    mebi = 2**20
    eca = stage_plugins(
        [dict(type='mmattn.ECA', kernel_size=k) for k in (3, 5, 5, 7)])
    assert round(RESNET50_PARAMS / mebi, 2) == 24.37
    assert round(resnet50_params(eca) / mebi, 2) == 24.37
    se_weights = sum(2 * c * c // 16 for c, n in
                     ((256, 3), (512, 4), (1024, 6), (2048, 3))
                     for _ in range(n))
    assert round((RESNET50_PARAMS + se_weights) / mebi, 2) == 26.77
