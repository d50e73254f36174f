"""BAM against a reference written from the official code, both fusions,
the branch structure, the official ResNet-50's size and bad arguments."""
import pytest
import torch
import torch.nn.functional as F
from resnet_counts import RESNET50_PARAMS

from mmattn.models.attention.bam import BAM


def reference(block, x, fusion):
    """The official ``ChannelGate`` / ``SpatialGate`` in eval mode."""
    def bn(v, norm):
        return F.batch_norm(v, norm.running_mean, norm.running_var,
                            norm.weight, norm.bias, eps=norm.eps)

    mlp = block.channel_mlp
    pooled = x.mean((2, 3))
    hidden = F.linear(pooled, mlp.fc1.weight.flatten(1), mlp.fc1.bias)
    hidden = F.relu(bn(hidden, mlp.norm))
    channel = F.linear(hidden, mlp.fc2.weight.flatten(1), mlp.fc2.bias)
    channel = channel[:, :, None, None]
    spatial = x
    for conv, norm, _ in block.spatial_branch[:-1]:
        spatial = F.relu(bn(conv(spatial), norm))
    spatial = block.spatial_branch[-1](spatial)
    att = channel * spatial if fusion == 'mul' else channel + spatial
    return (1 + torch.sigmoid(att)) * x


def randomise_norms(block):
    for m in block.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2)


@pytest.mark.parametrize('fusion', ['mul', 'add'])
def test_matches_reference(fusion):
    torch.manual_seed(0)
    block = BAM(64, fusion=fusion).eval()
    randomise_norms(block)
    x = torch.randn(2, 64, 7, 10)
    torch.testing.assert_close(block(x), reference(block, x, fusion))


def test_structure_follows_the_official_code():
    block = BAM(256)
    convs = [m for m in block.spatial_branch.modules()
             if isinstance(m, torch.nn.Conv2d)]
    assert [c.kernel_size for c in convs] == [(1, 1), (3, 3), (3, 3), (1, 1)]
    assert [c.dilation for c in convs[1:3]] == [(4, 4), (4, 4)]
    assert [c.out_channels for c in convs] == [16, 16, 16, 1]
    assert all(c.bias is not None for c in convs)
    assert block.channel_mlp.fc1.out_channels == 16
    assert len(BAM(64, num_dilated_convs=0).spatial_branch) == 2


def test_gate_is_between_one_and_two():
    block = BAM(32).eval()
    x = torch.rand(1, 32, 5, 5) + 0.1
    ratio = block(x) / x
    assert ratio.min() >= 1 and ratio.max() <= 2


@pytest.mark.parametrize('kwargs, name', [
    (dict(fusion='max'), 'fusion'),
    (dict(dilation=0), 'dilation'),
    (dict(num_dilated_convs=-1), 'num_dilated_convs'),
    (dict(ratio=1 / 64), 'ratio'),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        BAM(32, **kwargs)


def test_bam_resnet50_has_the_paper_parameter_count():
    """The official ResNet-50 has one BAM after each of stages 1-3 (256,
    512 and 1024 channels): 358,067 parameters, 25.92M with the network
    (the paper's ImageNet table)."""
    added = sum(p.numel() for c in (256, 512, 1024)
                for p in BAM(c).parameters())
    assert added == 358_067
    assert round((RESNET50_PARAMS + added) / 1e6, 2) == 25.92
