"""mmseg's ResNets with plug-ins that chain.

mmsegmentation 1.2.2's ``Bottleneck.forward_plugin`` gives every plug-in at a
position the same input and keeps the last output::

    out = x
    for name in plugin_names:
        out = getattr(self, name)(x)   # x, not out
    return out

so with two plug-ins at one position only the last one takes effect (the
first still runs, and still holds parameters). mmdet's ResNet passes ``out``
and is not affected. The classes here are mmseg's, registered in the mmattn
scope, whose bottlenecks chain the plug-ins as mmdet's do; nothing else
changes (arguments, weights, ``init_cfg`` and zero-init of the residual
norms), so a config switches by its ``type`` alone::

    backbone=dict(type='mmattn.ResNetV1c', plugins=[...])
"""
from mmseg.models.backbones import resnet as mmseg_resnet

from mmattn.registry import MODELS


class ChainedPluginsBottleneck(mmseg_resnet.Bottleneck):
    """mmseg's ``Bottleneck`` whose plug-ins at one position are chained."""

    def forward_plugin(self, x, plugin_names):
        for name in plugin_names:
            x = getattr(self, name)(x)
        return x


class _ChainedPlugins:
    """Builds every stage with :class:`ChainedPluginsBottleneck`.

    The swap happens in ``make_res_layer`` so that ``arch_settings`` (which
    mmseg's ResNet compares with ``Bottleneck`` to zero-init ``norm3``) is
    left as it is.
    """

    def make_res_layer(self, **kwargs):
        if kwargs.get('block') is mmseg_resnet.Bottleneck:
            kwargs['block'] = ChainedPluginsBottleneck
        return super().make_res_layer(**kwargs)


@MODELS.register_module()
class ResNet(_ChainedPlugins, mmseg_resnet.ResNet):
    """mmseg's ``ResNet`` (V1b) with chained plug-ins; same arguments."""


@MODELS.register_module()
class ResNetV1c(_ChainedPlugins, mmseg_resnet.ResNetV1c):
    """mmseg's ``ResNetV1c`` (deep stem) with chained plug-ins; same
    arguments. The backbone of mmseg's UperNet, PSPNet and DeepLab configs.

    Example:
        >>> import torch
        >>> plugins = [dict(cfg=dict(type='mmattn.SE', postfix=i),
        ...                 position='after_conv3') for i in (1, 2)]
        >>> net = ResNetV1c(depth=50, plugins=plugins)
        >>> [o.shape[1] for o in net(torch.rand(1, 3, 64, 64))]
        [256, 512, 1024, 2048]
    """


@MODELS.register_module()
class ResNetV1d(_ChainedPlugins, mmseg_resnet.ResNetV1d):
    """mmseg's ``ResNetV1d`` (deep stem, average-pool down-sampling) with
    chained plug-ins; same arguments."""
