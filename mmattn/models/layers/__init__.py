"""Layers that compute what a torch.nn layer computes, faster on CPU.

Each is a drop-in: the same parameters, state-dict keys and result as the
layer it replaces, and its output keeps the input's memory format. The
backbones choose the memory format once (channels_last on CPU, see
:class:`~mmattn.models.backbones.base.StagedBackbone`);
:func:`~mmattn.models.layers.reference.to_reference` turns a model back into
the straightforward formulation, for tests and benchmarks.
"""
from .fuse import bn_affine, fuse_bn_conv, fuse_conv_bn, scale_conv
from .norm import LayerNorm2d
from .pointwise import PointwiseConv2d
from .polyphase import PolyphaseConv2d, polyphase_conv2d

__all__ = [
    'LayerNorm2d', 'PointwiseConv2d', 'PolyphaseConv2d', 'polyphase_conv2d',
    'bn_affine', 'fuse_bn_conv', 'fuse_conv_bn', 'scale_conv'
]
