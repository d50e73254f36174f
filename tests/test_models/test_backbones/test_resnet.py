"""mmattn.ResNet / ResNetV1c / ResNetV1d: mmseg's ResNets whose plug-ins at
one position are chained.

mmseg 1.2.2's ``Bottleneck.forward_plugin`` feeds every plug-in the block's
input, so of two stacked plug-ins only the last one takes effect; these tests
show it on mmseg's own classes, and show that mmattn's chain them (as mmdet's
ResNet does) and change nothing else.
"""
import pytest
import torch
import torch.nn.functional as F
from mmdet.models.backbones import ResNet as MMDetResNet
from mmseg.models.backbones import ResNet as MMSegResNet
from mmseg.models.backbones import ResNetV1c as MMSegResNetV1c
from mmseg.models.backbones import ResNetV1d as MMSegResNetV1d
from mmseg.models.backbones.resnet import Bottleneck as MMSegBottleneck

from mmattn.models.backbones.resnet import (ChainedPluginsBottleneck, ResNet,
                                            ResNetV1c, ResNetV1d)
from mmattn.registry import MODELS

# Two different blocks, then the same block twice (postfix), at after_conv3.
STACKS = {
    'two blocks': [
        dict(cfg=dict(type='mmattn.SE'), position='after_conv3'),
        dict(cfg=dict(type='mmattn.CoordAttention'), position='after_conv3'),
    ],
    'same block twice': [
        dict(cfg=dict(type='mmattn.SE', postfix=1), position='after_conv3'),
        dict(cfg=dict(type='mmattn.SE', postfix=2), position='after_conv3'),
    ],
}


def residual_branch(block, x):
    """conv1 ... norm3 of a bottleneck, without plug-ins."""
    out = F.relu(block.norm1(block.conv1(x)))
    out = F.relu(block.norm2(block.conv2(out)))
    return block.norm3(block.conv3(out))


def randomise(module):
    """Random weights and BN statistics, so that every block has an
    effect (SE's gates are not all 0.5)."""
    torch.manual_seed(0)
    with torch.no_grad():
        for param in module.parameters():
            param.normal_(0, 0.5)
        for m in module.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_var.uniform_(0.5, 2)


@pytest.mark.parametrize('stack', sorted(STACKS))
@pytest.mark.parametrize('cls', [MMSegBottleneck, ChainedPluginsBottleneck])
def test_two_plugins_at_one_position(cls, stack):
    block = cls(64, 16, plugins=STACKS[stack]).eval()
    randomise(block)
    first, second = (getattr(block, name)
                     for name in block.after_conv3_plugin_names)
    x = torch.randn(2, 64, 7, 9)
    with torch.no_grad():
        out = residual_branch(block, x)
        both = F.relu(second(first(out)) + x)
        last_only = F.relu(second(out) + x)
        y = block(x)
    assert not torch.allclose(both, last_only, atol=1e-3)
    if cls is MMSegBottleneck:  # the bug: the first block has no effect
        torch.testing.assert_close(y, last_only)
    else:
        torch.testing.assert_close(y, both)


def test_mmseg_resnet_loses_the_first_block_mmattn_resnet_keeps_it():
    """Whole backbones with the same weights: mmseg's ResNetV1c with SE and
    CoordAttention stacked equals mmseg's with CoordAttention alone;
    mmattn's ResNet equals mmdet's ResNet, which chains plug-ins."""
    plugins = STACKS['two blocks']
    x = torch.randn(1, 3, 32, 32)

    torch.manual_seed(0)
    mmseg_both = MMSegResNetV1c(depth=50, plugins=plugins)
    mmseg_last = MMSegResNetV1c(depth=50, plugins=plugins[1:])
    mmseg_last.load_state_dict(mmseg_both.state_dict(), strict=False)

    mmattn_net = ResNet(depth=50, plugins=plugins)
    mmdet_net = MMDetResNet(depth=50, plugins=plugins)
    mmdet_net.load_state_dict(mmattn_net.state_dict())
    mmseg_v1b = MMSegResNet(depth=50, plugins=plugins)
    mmseg_v1b.load_state_dict(mmattn_net.state_dict())
    for net in (mmseg_both, mmseg_last, mmattn_net, mmdet_net, mmseg_v1b):
        net.eval()  # mmseg's and mmdet's train() return None

    with torch.no_grad():
        for a, b in zip(mmseg_both(x), mmseg_last(x)):
            torch.testing.assert_close(a, b)
        for a, b in zip(mmattn_net(x), mmdet_net(x)):
            torch.testing.assert_close(a, b)
        # and mmattn's is not mmseg's
        assert not torch.allclose(mmseg_v1b(x)[-1], mmattn_net(x)[-1],
                                  atol=1e-3)


@pytest.mark.parametrize('ours, theirs', [(ResNet, MMSegResNet),
                                          (ResNetV1c, MMSegResNetV1c),
                                          (ResNetV1d, MMSegResNetV1d)])
def test_nothing_else_changes(ours, theirs):
    plugins = STACKS['same block twice']
    net = ours(depth=50, plugins=plugins)
    ref = theirs(depth=50, plugins=plugins)
    assert isinstance(net, theirs)
    assert {k: v.shape for k, v in net.state_dict().items()} == \
        {k: v.shape for k, v in ref.state_dict().items()}
    blocks = [m for m in net.modules() if isinstance(m, MMSegBottleneck)]
    assert len(blocks) == 16
    assert all(type(m) is ChainedPluginsBottleneck for m in blocks)
    # Training from scratch still zero-inits the last norm of each block,
    # which mmseg decides by comparing arch_settings with its Bottleneck.
    assert blocks[0].init_cfg == dict(type='Constant', val=0,
                                      override=dict(name='norm3'))
    net.eval()
    x = torch.randn(1, 3, 32, 32)
    assert [o.shape[1] for o in net(x)] == [256, 512, 1024, 2048]


def test_built_from_configs_in_any_scope():
    for scope in ('mmseg', 'mmdet'):
        from mmengine.registry import DefaultScope
        with DefaultScope.overwrite_default_scope(scope):
            net = MODELS.build(dict(type='mmattn.ResNetV1c', depth=50))
        assert type(net) is ResNetV1c and net.deep_stem
