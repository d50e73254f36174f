"""CBAM against a straightforward reference written from the official code
(Linear MLP, pooling with the input-size kernel), its official init, its
options, and the size of the official CBAM ResNet-50."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.model import initialize
from resnet_counts import resnet50_params

from mmattn.models.attention.cbam import CBAM


def reference(block, x):
    """The official ``ChannelGate`` then ``SpatialGate``, step by step."""
    fc1, fc2 = block.channel_mlp.fc1, block.channel_mlp.fc2

    def mlp(v):  # N×C Linear layers with the block's weights
        hidden = F.relu(F.linear(v, fc1.weight.flatten(1), fc1.bias))
        return F.linear(hidden, fc2.weight.flatten(1), fc2.bias)

    size = x.shape[2:]
    avg = F.avg_pool2d(x, size, stride=size).flatten(1)
    mx = F.max_pool2d(x, size, stride=size).flatten(1)
    x = x * torch.sigmoid(mlp(avg) + mlp(mx))[:, :, None, None]
    if not block.spatial:
        return x
    pooled = torch.cat([x.max(1)[0][:, None], x.mean(1)[:, None]], 1)
    logits = F.conv2d(pooled, block.spatial_gate.conv.weight, padding=3)
    norm = getattr(block.spatial_gate, 'norm', None)
    if norm is not None:
        logits = F.batch_norm(logits, norm.running_mean, norm.running_var,
                              norm.weight, norm.bias, eps=norm.eps)
    return x * torch.sigmoid(logits)


@pytest.mark.parametrize('kwargs', [
    dict(), dict(spatial=False), dict(norm_cfg=None)])
def test_matches_reference(kwargs):
    torch.manual_seed(0)
    block = CBAM(32, **kwargs).eval()
    if hasattr(block, 'spatial_gate') and hasattr(block.spatial_gate, 'norm'):
        norm = block.spatial_gate.norm  # non-trivial BN statistics
        norm.running_mean.fill_(0.3)
        norm.running_var.fill_(2.0)
        norm.weight.data.fill_(1.5)
    x = torch.randn(2, 32, 6, 9)
    torch.testing.assert_close(block(x), reference(block, x))


def test_structure_follows_the_official_code():
    block = CBAM(64)
    assert block.channel_mlp.fc1.weight.shape == (4, 64, 1, 1)
    assert block.channel_mlp.fc1.bias is not None
    conv = block.spatial_gate.conv
    assert conv.weight.shape == (1, 2, 7, 7) and conv.bias is None
    assert block.spatial_gate.norm.momentum == 0.01
    assert not hasattr(CBAM(64, spatial=False), 'spatial_gate')


@pytest.mark.parametrize('host_init', [False, True])
def test_official_init_makes_the_spatial_gate_one_half(host_init):
    """Right after construction (standalone use) and after a host's init
    followed by ``init_weights``."""
    torch.manual_seed(0)
    block = CBAM(16)
    if host_init:
        initialize(block, dict(type='Constant', val=1,
                               layer=['_BatchNorm']))
        block.init_weights()
    block.eval()
    x = torch.randn(2, 16, 5, 7)
    channel_only = CBAM(16, spatial=False).eval()
    channel_only.channel_mlp.load_state_dict(block.channel_mlp.state_dict())
    torch.testing.assert_close(block(x), 0.5 * channel_only(x))


@pytest.mark.parametrize('kwargs, name', [
    (dict(ratio=1 / 32), 'ratio'),  # 16 / 32 leaves no channels
    (dict(kernel_size=4), 'kernel_size'),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        CBAM(16, **kwargs)


def test_cbam_resnet50_has_the_official_parameter_count():
    """The official ResNet-50 puts CBAM after ``bn3`` of every bottleneck:
    SE's 2,530,992 parameters plus 100 per block for the spatial gate (a
    2×7×7 conv and BN), 28,089,624 with the fc: the paper's 28.09M."""
    cbam = [dict(cfg=dict(type='mmattn.CBAM'), position='after_conv3')]
    count = resnet50_params(cbam)
    assert count == 28_088_024 + 16 * 100
    assert round(count / 1e6, 2) == 28.09
