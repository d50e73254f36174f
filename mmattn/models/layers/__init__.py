"""Building blocks shared by several mmattn models (not registered)."""
from .fuse import bn_affine, fuse_bn_conv, fuse_conv_bn, scale_conv
from .pointwise import PointwiseConv2d
from .polyphase import PolyphaseConv2d, polyphase_conv2d

__all__ = [
    'PointwiseConv2d', 'PolyphaseConv2d', 'polyphase_conv2d', 'bn_affine',
    'fuse_bn_conv', 'fuse_conv_bn', 'scale_conv'
]
