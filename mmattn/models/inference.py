"""Inference forms of mmattn's backbones: :func:`optimize_for_inference`.

The models compute one formulation, the official math, in training and
inference alike. For inference only, :func:`optimize_for_inference` swaps
modules for forms that give the same result with less work:

- batch norms and layer scales are folded into the neighbouring convs
  (VAN's patch embeds and blocks, Conv2Former's blocks);
- on CPU, 1×1 convs (as matrix products) and depthwise convs run as oneDNN
  kernels with the pointwise op after them fused in: GELU, the LKA and
  ConvMod products, the residual sums. A memory-bound pass over a large
  activation costs about as much on CPU as a depthwise conv over it.

The fused kernels are ``torch.ops.mkldnn._linear_pointwise`` and
``_convolution_pointwise``, the kernels ``torch.compile`` itself emits on
CPU; PyTorch offers no public eager entry to them. They have no autograd
formula and take float32 channels_last tensors, so the inference forms call
them only then, outside autocast, with no gradient wanted and not while
``torch.compile`` traces the model (it fuses the eager ops itself); the
eager ops on the folded weights run otherwise. This module is the only
place mmattn calls them.
"""
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from .backbones.conv2former import Conv2FormerBlock
from .backbones.van import PatchEmbed, VANBlock
from .layers import bn_affine, fuse_bn_conv, fuse_conv_bn, scale_conv

__all__ = ['optimize_for_inference', 'fusable']

_MKLDNN = getattr(torch.ops, 'mkldnn', None)


def _kernels_available() -> bool:
    try:
        return (torch.backends.mkldnn.is_available()
                and hasattr(_MKLDNN._linear_pointwise, 'binary')
                and hasattr(_MKLDNN._convolution_pointwise, 'default'))
    except (AttributeError, RuntimeError):
        return False


KERNELS_AVAILABLE = _kernels_available()


def fusable(x: Tensor) -> bool:
    """Whether the fused oneDNN kernels may run on ``x``: float32
    channels_last CPU input, no gradient wanted, no autocast, not traced by
    ``torch.compile``."""
    return (KERNELS_AVAILABLE and x.is_cpu and x.dtype == torch.float32
            and x.dim() == 4
            and x.is_contiguous(memory_format=torch.channels_last)
            and not torch.is_grad_enabled()
            and not torch.is_autocast_enabled('cpu')
            and not torch.compiler.is_compiling())


def _linear(x: Tensor, conv: nn.Conv2d, post: str = 'none',
            other: Optional[Tensor] = None) -> Tensor:
    """A 1×1 ``conv`` on channels_last ``x`` as one oneDNN matmul with the
    bias and ``post`` fused: ``'none'``, ``'gelu'`` (exact) or an
    elementwise ``'add'`` / ``'mul'`` with ``other`` (channels_last, shaped
    like the output)."""
    weight, x = conv.weight.flatten(1), x.permute(0, 2, 3, 1)
    if post in ('add', 'mul'):
        y = _MKLDNN._linear_pointwise.binary(x, other.permute(0, 2, 3, 1),
                                             weight, conv.bias, post)
    elif post == 'gelu':
        y = _MKLDNN._linear_pointwise(x, weight, conv.bias, 'gelu', [],
                                      'none')
    else:
        y = _MKLDNN._linear_pointwise(x, weight, conv.bias, 'none', [], '')
    return y.permute(0, 3, 1, 2)


def _conv_gelu(x: Tensor, conv: nn.Conv2d) -> Tensor:
    """``GELU(conv(x))`` as one oneDNN convolution (channels_last)."""
    return _MKLDNN._convolution_pointwise(x, conv.weight, conv.bias,
                                          conv.padding, conv.stride,
                                          conv.dilation, conv.groups, 'gelu',
                                          [], 'none')


def _is_exact_gelu(act: nn.Module) -> bool:
    return isinstance(act, nn.GELU) and act.approximate == 'none'


class VANBlockInference(nn.Module):
    """:class:`~mmattn.models.backbones.van.VANBlock` with ``norm1`` folded
    into ``proj_1``, ``norm2`` into ``fc1`` and the layer scales into
    ``proj_2`` and ``fc2``.

    What is left of ``x + ls1 * (branch(BN(x)) + BN(x))`` outside the convs
    is ``x * (1 + ls1 * bn_scale)``: the ``skip`` factor.
    """

    @torch.no_grad()
    def __init__(self, block: VANBlock):
        super().__init__()
        attn, mlp = block.attn, block.mlp
        ls1, ls2 = block.layer_scale_1.detach(), block.layer_scale_2.detach()
        scale, shift = bn_affine(block.norm1)
        self.proj_1 = fuse_bn_conv(block.norm1, attn.proj_1)
        self.act_1 = attn.activation
        self.lka = attn.spatial_gating_unit
        self.proj_2 = scale_conv(attn.proj_2, ls1, ls1 * shift)
        self.register_buffer('skip', (1 + ls1 * scale).view(-1, 1, 1))
        self.fc1 = fuse_bn_conv(block.norm2, mlp.fc1)
        self.dwconv, self.act_2 = mlp.dwconv, mlp.act
        self.fc2 = scale_conv(mlp.fc2, ls2)
        self.fused = _is_exact_gelu(self.act_1) and _is_exact_gelu(self.act_2)

    def forward(self, x: Tensor) -> Tensor:
        if self.fused and fusable(x):
            lka = self.lka
            a = _linear(x, self.proj_1, 'gelu')
            a = _linear(lka.conv_spatial(lka.conv0(a)), lka.conv1, 'mul', a)
            x = torch.addcmul(_linear(a, self.proj_2), x, self.skip)
            h = _conv_gelu(_linear(x, self.fc1), self.dwconv)
            return _linear(h, self.fc2, 'add', x)
        a = self.lka(self.act_1(self.proj_1(x)))
        x = torch.addcmul(self.proj_2(a), x, self.skip)
        return x + self.fc2(self.act_2(self.dwconv(self.fc1(x))))


class Conv2FormerBlockInference(nn.Module):
    """:class:`~mmattn.models.backbones.conv2former.Conv2FormerBlock` with
    the layer scales folded into ConvMod's ``proj`` and the MLP's ``fc2``.
    """

    @torch.no_grad()
    def __init__(self, block: Conv2FormerBlock):
        super().__init__()
        attn, mlp = block.attn, block.mlp
        self.norm_1, self.fc_a, self.act = attn.norm, attn.fc_a, attn.act
        self.dwconv, self.fc_v = attn.dwconv, attn.fc_v
        self.proj = scale_conv(attn.proj, block.layer_scale_1.detach())
        self.norm_2, self.fc1, self.pos = mlp.norm, mlp.fc1, mlp.pos
        self.act_2 = mlp.act
        self.fc2 = scale_conv(mlp.fc2, block.layer_scale_2.detach())
        self.fused = _is_exact_gelu(self.act) and _is_exact_gelu(self.act_2)

    def forward(self, x: Tensor) -> Tensor:
        if self.fused and fusable(x):
            h = self.norm_1(x)
            a = self.dwconv(_linear(h, self.fc_a, 'gelu'))
            x = _linear(_linear(h, self.fc_v, 'mul', a), self.proj, 'add', x)
            h = _linear(self.norm_2(x), self.fc1, 'gelu')
            return _linear(_conv_gelu(h, self.pos).add_(h), self.fc2, 'add',
                           x)
        h = self.norm_1(x)
        x = x + self.proj(self.dwconv(self.act(self.fc_a(h))) * self.fc_v(h))
        h = self.act_2(self.fc1(self.norm_2(x)))
        return x + self.fc2(h + self.act_2(self.pos(h)))


def _fold_patch_embed(embed: PatchEmbed) -> nn.Module:
    return fuse_conv_bn(embed.proj, embed.norm)


#: Module class -> function returning its inference form.
INFERENCE_FORMS = {
    PatchEmbed: _fold_patch_embed,
    VANBlock: VANBlockInference,
    Conv2FormerBlock: Conv2FormerBlockInference,
}


@torch.no_grad()
def optimize_for_inference(model: nn.Module) -> nn.Module:
    """Swap, in place, every module of ``model`` that has an inference form
    (:data:`INFERENCE_FORMS`) for it; the result is the same up to float
    rounding, computed faster.

    Irreversible, and for inference only: the batch norms' running
    statistics are folded into the convs, so call it on a trained model,
    after loading its weights. The model is put in eval mode.

    Args:
        model (nn.Module): Any model; modules without an inference form are
            left as they are.

    Returns:
        nn.Module: ``model`` itself.

    Example:
        >>> import torch
        >>> from mmattn.models import VAN, optimize_for_inference
        >>> model = VAN('b0').eval()
        >>> x = torch.rand(1, 3, 64, 64)
        >>> with torch.no_grad():
        ...     expected = model(x)
        ...     outputs = optimize_for_inference(model)(x)
        >>> all(torch.allclose(o, e, atol=1e-4)
        ...     for o, e in zip(outputs, expected))
        True
    """
    model.eval()
    for name, child in list(model.named_children()):
        form = INFERENCE_FORMS.get(type(child))
        if form is not None:
            setattr(model, name, form(child))
        else:
            optimize_for_inference(child)
    return model.eval()
