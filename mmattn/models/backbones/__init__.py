"""mmattn backbones."""
from .conv2former import Conv2Former  # noqa: F401
from .resnet import ResNet, ResNetV1c, ResNetV1d  # noqa: F401
from .van import VAN  # noqa: F401
