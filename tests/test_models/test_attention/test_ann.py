"""APNB and AFNB against references written from the official code (with
``nn.AdaptiveAvgPool2d`` and an explicit softmax), the exportable pyramid
pooling, AFNB's two-input use, and bad arguments."""
import pytest
import torch
import torch.nn as nn

from mmattn.models.attention.ann import AFNB, APNB, pyramid_pool


def official_context(block, high, low):
    """``_SelfAttentionBlock.forward`` of the official APNB / AFNB."""
    def psp(t):
        n, c = t.shape[:2]
        return torch.cat([nn.AdaptiveAvgPool2d(s)(t).view(n, c, -1)
                          for s in (1, 3, 6, 8)], -1)

    n, _, h, w = high.shape
    value = psp(block.value_project(low)).permute(0, 2, 1)
    query = block.query_project(high).view(n, block.channels, -1)
    key = psp(block.key_project(low))
    sim = torch.softmax(
        block.channels**-.5 * torch.matmul(query.permute(0, 2, 1), key), -1)
    context = torch.matmul(sim, value).permute(0, 2, 1).reshape(n, -1, h, w)
    return block.out_project(context)


def randomised(block):
    torch.manual_seed(0)
    with torch.no_grad():
        for param in block.parameters():
            param.normal_(0, 0.3)
        for m in block.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2)
    return block.eval()


@pytest.mark.parametrize('size', [(1, 1), (5, 3), (8, 8), (13, 17)])
def test_pyramid_pool_equals_adaptive_avg_pool(size):
    x = torch.randn(2, 4, *size)
    ref = torch.cat([nn.AdaptiveAvgPool2d(s)(x).flatten(2)
                     for s in (1, 3, 6, 8)], dim=2)
    torch.testing.assert_close(pyramid_pool(x, (1, 3, 6, 8)), ref)


def test_apnb_matches_official():
    block = randomised(APNB(32))
    x = torch.randn(2, 32, 11, 9)
    with torch.no_grad():
        ref = block.fuse(torch.cat([official_context(block, x, x), x], 1))
        torch.testing.assert_close(block(x), ref)
    assert block.query_project is block.key_project  # shared, as official


def test_afnb_fuses_two_levels_of_any_size():
    block = randomised(AFNB(32, low_channels=16))
    high, low = torch.randn(2, 32, 9, 7), torch.randn(2, 16, 17, 13)
    with torch.no_grad():
        out = block(high, low)
        ref = block.fuse(
            torch.cat([official_context(block, high, low), high], 1))
    assert out.shape == high.shape
    torch.testing.assert_close(out, ref)
    assert block.query_project is not block.key_project


def test_afnb_alone_fuses_the_input_with_itself():
    block = randomised(AFNB(32))
    x = torch.randn(2, 32, 9, 7)
    with torch.no_grad():
        torch.testing.assert_close(block(x), block(x, x))


@pytest.mark.parametrize('cls', [APNB, AFNB])
def test_attention_output_starts_at_zero(cls):
    block = cls(32)
    nn.init.normal_(block.out_project.weight)
    block.init_weights()
    x = torch.randn(2, 32, 6, 6)
    assert not block.context(x, x).any()


@pytest.mark.parametrize('cls,default', [(APNB, 16), (AFNB, 4)])
def test_key_value_width(cls, default):
    assert cls(32).channels == default
    assert cls(32, ratio=1 / 4).channels == 8


@pytest.mark.parametrize('cls', [APNB, AFNB])
@pytest.mark.parametrize('pool_scales', [(), (0, 3), (1.5, )])
def test_bad_pool_scales(cls, pool_scales):
    with pytest.raises(ValueError, match='pool_scales'):
        cls(32, pool_scales=pool_scales)
