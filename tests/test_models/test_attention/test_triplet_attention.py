"""TripletAttention against the official rotate-gate-rotate-back forward,
with and without the spatial branch, and the official ResNet-50's size."""
import pytest
import torch
import torch.nn.functional as F
from resnet_counts import RESNET50_PARAMS, resnet50_params

from mmattn.models.attention.triplet_attention import TripletAttention


def gate(gate_module, x):
    """Official ``AttentionGate``: ZPool over dim 1, conv, BN, sigmoid."""
    pooled = torch.cat([x.max(1)[0][:, None], x.mean(1)[:, None]], 1)
    norm = gate_module.norm
    logits = F.batch_norm(gate_module.conv(pooled), norm.running_mean,
                          norm.running_var, norm.weight, norm.bias,
                          eps=norm.eps)
    return x * torch.sigmoid(logits)


def reference(block, x):
    out_cw = gate(block.cw, x.permute(0, 2, 1, 3)).permute(0, 2, 1, 3)
    out_hc = gate(block.hc, x.permute(0, 3, 2, 1)).permute(0, 3, 2, 1)
    if not block.spatial:
        return (out_cw + out_hc) / 2
    return (gate(block.hw, x) + out_cw + out_hc) / 3


@pytest.mark.parametrize('spatial', [True, False])
@pytest.mark.parametrize('size', [(6, 9), (1, 1), (5, 1)])
def test_matches_official_forward(spatial, size):
    torch.manual_seed(0)
    block = TripletAttention(12, spatial=spatial).eval()
    for m in block.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 2)
    x = torch.randn(2, 12, *size)
    torch.testing.assert_close(block(x), reference(block, x))


def test_structure():
    block = TripletAttention(64, kernel_size=3)
    for name in ('cw', 'hc', 'hw'):
        branch = getattr(block, name)
        assert branch.conv.weight.shape == (1, 2, 3, 3)
        assert branch.conv.bias is None and branch.norm.momentum == 0.01
    assert not hasattr(TripletAttention(64, spatial=False), 'hw')
    # 3 × (98 conv weights + 2 BN affine) parameters, whatever the channels.
    assert sum(p.numel() for p in TripletAttention(2048).parameters()) == 300


@pytest.mark.parametrize('kwargs, name', [
    (dict(kernel_size=6), 'kernel_size'),
    (dict(in_channels=0), 'in_channels')])
def test_bad_arguments(kwargs, name):
    kwargs.setdefault('in_channels', 8)
    with pytest.raises(ValueError, match=name):
        TripletAttention(**kwargs)


def test_triplet_resnet50_has_the_official_parameter_count():
    """300 parameters per bottleneck (after ``bn3``, as the official
    ResNet): 25,561,832 with the fc, the official 25.56M (k = 7)."""
    triplet = [dict(cfg=dict(type='mmattn.TripletAttention'),
                    position='after_conv3')]
    count = resnet50_params(triplet)
    assert count == RESNET50_PARAMS + 16 * 300
    assert round(count / 1e6, 2) == 25.56
