"""The straightforward formulation of a model, for tests and benchmarks.

mmattn's drop-in layers (:mod:`mmattn.models.layers`) and the layout its
backbones run in compute the official math faster on CPU.
:func:`to_reference` gives a copy of a model that computes it the way the
official code writes it: torch.nn's convolutions, the hand-written
channels_first LayerNorm of ConvNeXt and Conv2Former, NCHW throughout.
``tools/analysis_tools/benchmark_fast_path.py`` times a model against it.
"""
import copy

import torch.nn as nn
from torch import Tensor

from .norm import LayerNorm2d
from .pointwise import PointwiseConv2d
from .polyphase import PolyphaseConv2d

__all__ = ['ChannelsFirstLayerNorm', 'to_reference']


class ChannelsFirstLayerNorm(nn.LayerNorm):
    """The LayerNorm of the official ConvNeXt and Conv2Former code for
    N×C×H×W maps: biased variance over C, ``eps`` inside the square root,
    each step a separate op."""

    def forward(self, x: Tensor) -> Tensor:
        mean = x.mean(1, keepdim=True)
        var = (x - mean).pow(2).mean(1, keepdim=True)
        x = (x - mean) / (var + self.eps).sqrt()
        return self.weight[:, None, None] * x + self.bias[:, None, None]


#: Each drop-in layer and the layer it stands for. The drop-ins hold no
#: state of their own, so a copy of one becomes the other by its class.
PLAIN = {
    PolyphaseConv2d: nn.Conv2d,
    PointwiseConv2d: nn.Conv2d,
    LayerNorm2d: ChannelsFirstLayerNorm,
}


def to_reference(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` in the straightforward formulation: every
    drop-in layer turned into the torch.nn layer (or the official
    hand-written LayerNorm) it stands for, with the same parameters, and
    every backbone run in NCHW.

    Example:
        >>> import torch
        >>> from mmattn.models import VAN
        >>> model = VAN('b0').eval()
        >>> reference = to_reference(model)
        >>> x = torch.rand(1, 3, 64, 64)
        >>> with torch.no_grad():
        ...     same = [torch.allclose(a, b, atol=1e-4)
        ...             for a, b in zip(model(x), reference(x))]
        >>> all(same)
        True
    """
    from ..backbones.base import StagedBackbone
    model = copy.deepcopy(model)
    for module in model.modules():
        if type(module) in PLAIN:
            module.__class__ = PLAIN[type(module)]
        if isinstance(module, StagedBackbone):
            module.channels_last = False
    return model
