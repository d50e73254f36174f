"""mmattn backbones."""
from .conv2former import Conv2Former  # noqa: F401
from .mobilenet_v2 import MobileNetV2  # noqa: F401
from .mobilenext import MobileNeXt  # noqa: F401
from .resnet import ResNet, ResNetV1c, ResNetV1d  # noqa: F401
from .van import VAN  # noqa: F401
