"""mmattn backbones."""
from .conv2former import Conv2Former
from .mobilenet_v2 import MobileNetV2
from .mobilenext import MobileNeXt
from .resnet import ResNet, ResNetV1c, ResNetV1d
from .van import VAN

__all__ = [
    'Conv2Former', 'MobileNetV2', 'MobileNeXt', 'ResNet', 'ResNetV1c',
    'ResNetV1d', 'VAN'
]
