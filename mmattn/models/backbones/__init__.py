"""mmattn backbones."""
from .conv2former import Conv2Former
from .resnet import ResNet, ResNetV1c, ResNetV1d
from .van import VAN

__all__ = ['Conv2Former', 'ResNet', 'ResNetV1c', 'ResNetV1d', 'VAN']
