"""mmattn backbones."""
from .resnet import ResNet, ResNetV1c, ResNetV1d  # noqa: F401
from .van import VAN  # noqa: F401
