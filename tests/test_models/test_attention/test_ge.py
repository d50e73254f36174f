"""Gather-Excite: every extent with and without parameters, against
straightforward references (the official prototxts for the global ones)."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmattn.models.attention.ge import GE
from mmattn.models.attention.se import SE


def bn(x, norm):
    return F.batch_norm(x, norm.running_mean, norm.running_var, norm.weight,
                        norm.bias, False, 0., norm.eps)


def randomise_norms(block):
    with torch.no_grad():
        for m in block.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2)
                m.weight.normal_()


@pytest.mark.parametrize('extent', [0, 2, 4, 8])
@pytest.mark.parametrize('extra_params', [False, True])
@pytest.mark.parametrize('use_mlp', [False, True])
def test_every_variant_keeps_the_shape(extent, extra_params, use_mlp):
    block = GE(16, extent, extra_params=extra_params, use_mlp=use_mlp).eval()
    for size in [(7, 9), (1, 1), (16, 16), (3, 17)]:
        x = torch.randn(1, 16, *size)
        out = block(x)
        assert out.shape == x.shape and torch.isfinite(out).all()


@pytest.mark.parametrize('extent,convs', [(2, 1), (4, 2), (8, 3)])
def test_local_gather_convs(extent, convs):
    block = GE(16, extent, extra_params=True)
    dw = [m for m in block.gather if isinstance(m, nn.Conv2d)]
    assert len(dw) == convs
    for conv in dw:
        assert conv.kernel_size == (3, 3) and conv.stride == (2, 2)
        assert conv.groups == 16 and conv.bias is None
    acts = [m for m in block.gather if isinstance(m, nn.ReLU)]
    assert len(acts) == convs - 1
    assert GE(16, extent).gather is None


@pytest.mark.parametrize('extent', [2, 4, 8])
def test_parameter_free_local_extent(extent):
    """GE-θ⁻ (E e): average pool, nearest upsampling, sigmoid."""
    x = torch.randn(2, 16, 13, 10)
    context = F.avg_pool2d(x, 2 * extent - 1, extent, extent - 1,
                           count_include_pad=False)
    expected = x * torch.sigmoid(F.interpolate(context, size=(13, 10)))
    torch.testing.assert_close(GE(16, extent)(x), expected)


@pytest.mark.parametrize('extent', [2, 4])
def test_parametric_local_extent(extent):
    torch.manual_seed(0)
    block = GE(16, extent, extra_params=True).eval()
    randomise_norms(block)
    x = torch.randn(2, 16, 13, 10)
    convs = [m for m in block.gather if isinstance(m, nn.Conv2d)]
    norms = [m for m in block.gather if isinstance(m, nn.BatchNorm2d)]
    context = x
    for i, (conv, norm) in enumerate(zip(convs, norms)):
        context = bn(conv(context), norm)
        if i < len(convs) - 1:
            context = F.relu(context)
    expected = x * torch.sigmoid(F.interpolate(context, size=(13, 10)))
    torch.testing.assert_close(block(x), expected)


def test_parameter_free_global_is_gap_sigmoid():
    """RN50-GEPF: global average pool, sigmoid, scale."""
    x = torch.randn(2, 16, 5, 7)
    torch.testing.assert_close(
        GE(16)(x), x * torch.sigmoid(x.mean((2, 3), keepdim=True)))


@pytest.mark.parametrize('use_mlp', [False, True])
def test_parametric_global_matches_the_prototxt(use_mlp):
    """RN50-GEP (GE-θ) / RN50-GEPP (GE-θ⁺) on a map of the kernel size:
    depth-wise conv as large as the map + BN (+ ReLU, 1×1 down, ReLU, 1×1
    up), sigmoid."""
    torch.manual_seed(0)
    block = GE(16, 0, extra_params=True, use_mlp=use_mlp).eval()
    randomise_norms(block)
    conv, norm = block.gather[0], block.gather[1]
    assert conv.kernel_size == (7, 7) and conv.groups == 16

    def context(x):
        c = bn(conv(x), norm)
        if use_mlp:
            c = block.mlp.fc2(F.relu(block.mlp.fc1(F.relu(c))))
        return c

    x = torch.randn(2, 16, 7, 7)
    torch.testing.assert_close(block(x), x * torch.sigmoid(context(x)))
    # other sizes are first average pooled to 7×7
    y = torch.randn(2, 16, 12, 20)
    pooled = F.adaptive_avg_pool2d(y, 7)
    torch.testing.assert_close(block(y), y * torch.sigmoid(context(pooled)))


def test_global_with_mlp_is_se():
    torch.manual_seed(0)
    ge, se = GE(32, use_mlp=True), SE(32)
    se.fc.load_state_dict(ge.mlp.state_dict())
    x = torch.randn(2, 32, 5, 6)
    torch.testing.assert_close(ge(x), se(x))
