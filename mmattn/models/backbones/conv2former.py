"""Conv2Former, a four-stage ConvNet of convolutional modulation blocks.

Paper: Conv2Former: A Simple Transformer-Style ConvNet for Visual
Recognition, Hou et al., https://arxiv.org/abs/2211.11943 (TPAMI 2024).
Official code consulted: https://github.com/HVision-NKU/Conv2Former
(``models/conv2former.py``). The modules and their math are the official
ones; the classification head is replaced by a LayerNorm on each output
stage, as mmdet and mmseg do for ConvNeXt.
"""
from typing import Dict, List

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from torch import Tensor

from mmattn.checkpoint import rename_keys
from mmattn.registry import MODELS
from ..attention.conv_mod import ConvMod
from ..layers import LayerNorm2d, PointwiseConv2d
from .base import StagedBackbone

__all__ = ['Conv2Former', 'Conv2FormerBlock', 'Conv2FormerMLP',
           'convert_official_conv2former']


class Conv2FormerMLP(BaseModule):
    """The MLP of a Conv2Former block, with a depthwise 3×3 inside.

    LN → fc1 (1×1, ×``mlp_ratio``) → GELU → ``x + GELU(pos(x))`` → fc2
    (1×1). ``pos`` is a depthwise 3×3 conv with a residual; the paper does
    not describe it (its MLP is two linear layers), the official code has it
    and its checkpoints need it.

    Args:
        channels (int): Input and output channels.
        mlp_ratio (int): Hidden width over ``channels``. Defaults to 4.
    """

    def __init__(self, channels: int, mlp_ratio: int = 4):
        super().__init__()
        hidden = channels * mlp_ratio
        self.norm = LayerNorm2d(channels, eps=1e-6)
        self.fc1 = PointwiseConv2d(channels, hidden)
        self.pos = nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden)
        self.fc2 = PointwiseConv2d(hidden, channels)
        self.act = nn.GELU()

    def forward(self, x: Tensor) -> Tensor:
        x = self.act(self.fc1(self.norm(x)))
        return self.fc2(x + self.act(self.pos(x)))


class Conv2FormerBlock(BaseModule):
    """``x + drop_path(ls1 * ConvMod(x))``, then
    ``x + drop_path(ls2 * MLP(x))``; the layer scales start at 1e-6.

    Args:
        channels (int): Input and output channels.
        kernel_size (int): Depthwise kernel of :class:`ConvMod`.
        mlp_ratio (int): Hidden width of the MLP over ``channels``.
            Defaults to 4.
        drop_path_rate (float): Stochastic depth rate. Defaults to 0.
        layer_scale_init_value (float): Initial layer scale. Defaults to
            1e-6.
    """

    def __init__(self, channels: int, kernel_size: int, mlp_ratio: int = 4,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6):
        super().__init__()
        self.attn = ConvMod(channels, kernel_size)
        self.mlp = Conv2FormerMLP(channels, mlp_ratio)
        self.layer_scale_1 = nn.Parameter(
            torch.full((channels, ), layer_scale_init_value))
        self.layer_scale_2 = nn.Parameter(
            torch.full((channels, ), layer_scale_init_value))
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 \
            else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        ls1 = self.layer_scale_1.view(-1, 1, 1)
        ls2 = self.layer_scale_2.view(-1, 1, 1)
        x = x + self.drop_path(ls1 * self.attn(x))
        return x + self.drop_path(ls2 * self.mlp(x))


@MODELS.register_module()
class Conv2Former(StagedBackbone):
    """Conv2Former backbone for dense prediction.

    The official model without its classification head, with a LayerNorm
    on each output stage (as mmdet and mmseg do for ConvNeXt):

    - **Stem** (stride 4): conv 3×3 s2 (no bias) to ``embed_dims[0] // 2``
      → GELU → BN → conv 3×3 (no bias) → GELU → BN → conv 2×2 s2 (no bias)
      to ``embed_dims[0]``. Activation before norm, as in the official code.
    - **Downsampling** between stages: channels_first LayerNorm (eps 1e-6)
      → conv 2×2 s2.
    - **Stages** of :class:`Conv2FormerBlock`: :class:`ConvMod` and
      :class:`Conv2FormerMLP`, each residual with layer scale (1e-6) and
      drop path (rates rising linearly to ``drop_path_rate``).

    Paper and code differ; this follows the code: the MLP holds a residual
    depthwise 3×3 conv (``pos``) that the paper does not describe, and
    ConvMod has a LayerNorm and a GELU that its equations leave out.

    ``arch`` picks a released model (kernel, widths, depths as in the
    official ``conv2former_*`` functions):

    ======= ====== =================== ============
    arch    kernel embed_dims          depths
    ======= ====== =================== ============
    n       7      64, 128, 256, 512   2, 2, 8, 2
    t       11     72, 144, 288, 576   3, 3, 12, 3
    s       11     72, 144, 288, 576   4, 4, 32, 4
    b       11     96, 192, 384, 768   4, 4, 34, 4
    b_22k   7      96, 192, 384, 768   4, 4, 34, 4
    l       11     128, 256, 512, 1024 4, 4, 48, 4
    ======= ====== =================== ============

    Official checkpoints (timm ``.pth.tar``) load with
    ``init_cfg=dict(type='Pretrained', checkpoint=...)``: keys are mapped by
    :func:`convert_official_conv2former`, the classifier (``head.*``,
    ``pred.*``) is dropped and the output norms are reported as newly
    initialised. Checkpoints of this class load the same way, with
    ``prefix='backbone.'`` when they come from a detector or segmentor.

    Args:
        arch (str | dict): A name from :attr:`arch_zoo` (or an alias such as
            ``'tiny'``), or a dict with keys ``embed_dims``, ``depths`` and
            ``kernel_size`` (and optionally ``mlp_ratios``, one per stage,
            default 4 each). Defaults to 't'.
        in_channels (int): Input channels. Defaults to 3.
        out_indices (Sequence[int] | int): Stages to output, negative
            counting from the last. Defaults to (0, 1, 2, 3).
        frozen_stages (int): Stages ``0..frozen_stages`` (each with the
            downsampling before it, the stem for stage 0) get no gradient
            and stay in eval mode; -1 freezes nothing. Defaults to -1.
        norm_cfg (dict): Norm layer of the stem. Defaults to
            ``dict(type='BN')``.
        norm_eval (bool): Keep the stem's BN layers in eval mode (frozen
            statistics) during training. Defaults to False.
        drop_path_rate (float): Stochastic depth rate of the last block.
            Defaults to 0.
        layer_scale_init_value (float): Initial layer scale. Defaults to
            1e-6.
        init_cfg (dict | list[dict], optional): Initialisation config; the
            default is the official one (:meth:`reset_parameters`).
            Defaults to None.

    Example:
        >>> import torch
        >>> model = Conv2Former('n', out_indices=(1, -1)).eval()
        >>> [tuple(o.shape) for o in model(torch.rand(1, 3, 65, 97))]
        [(1, 128, 8, 12), (1, 512, 2, 3)]
    """
    paper = ConvMod.paper
    arch_zoo = {
        **dict.fromkeys(['n', 'nano'], dict(
            kernel_size=7, embed_dims=[64, 128, 256, 512],
            depths=[2, 2, 8, 2])),
        **dict.fromkeys(['t', 'tiny'], dict(
            kernel_size=11, embed_dims=[72, 144, 288, 576],
            depths=[3, 3, 12, 3])),
        **dict.fromkeys(['s', 'small'], dict(
            kernel_size=11, embed_dims=[72, 144, 288, 576],
            depths=[4, 4, 32, 4])),
        **dict.fromkeys(['b', 'base'], dict(
            kernel_size=11, embed_dims=[96, 192, 384, 768],
            depths=[4, 4, 34, 4])),
        'b_22k': dict(
            kernel_size=7, embed_dims=[96, 192, 384, 768],
            depths=[4, 4, 34, 4]),
        **dict.fromkeys(['l', 'large'], dict(
            kernel_size=11, embed_dims=[128, 256, 512, 1024],
            depths=[4, 4, 48, 4])),
    }
    arch_keys = ('embed_dims', 'depths', 'kernel_size')
    arch_defaults = dict(mlp_ratios=None)  # None: 4 in every stage
    per_stage_keys = ('embed_dims', 'depths', 'mlp_ratios')
    classifier_keys = (r'^head\.', r'^pred\.')
    new_keys = (r'^norm\d+\.', )

    def __init__(self,
                 arch='t',
                 in_channels: int = 3,
                 out_indices=(0, 1, 2, 3),
                 frozen_stages: int = -1,
                 norm_cfg: Dict = dict(type='BN'),
                 norm_eval: bool = False,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6,
                 init_cfg=None):
        super().__init__(arch, out_indices, frozen_stages, norm_eval,
                         init_cfg)
        dims, depths = self.embed_dims, self.arch_settings['depths']
        mlp_ratios = self.arch_settings['mlp_ratios'] or [4] * len(depths)
        stem_dim = dims[0] // 2
        self.downsample_layers = nn.ModuleList([nn.Sequential(
            nn.Conv2d(in_channels, stem_dim, 3, 2, 1, bias=False),
            nn.GELU(),
            build_norm_layer(norm_cfg, stem_dim)[1],
            nn.Conv2d(stem_dim, stem_dim, 3, 1, 1, bias=False),
            nn.GELU(),
            build_norm_layer(norm_cfg, stem_dim)[1],
            nn.Conv2d(stem_dim, dims[0], 2, 2, bias=False),
        )])
        for i in range(1, self.num_stages):
            self.downsample_layers.append(nn.Sequential(
                LayerNorm2d(dims[i - 1], eps=1e-6),
                nn.Conv2d(dims[i - 1], dims[i], 2, 2),
            ))
        rates = torch.linspace(0, drop_path_rate, sum(depths),
                               device='cpu').tolist()
        self.stages = nn.ModuleList()
        for i, depth in enumerate(depths):
            first = sum(depths[:i])
            self.stages.append(nn.Sequential(*[
                Conv2FormerBlock(dims[i], self.arch_settings['kernel_size'],
                                 mlp_ratios[i], rates[first + j],
                                 layer_scale_init_value)
                for j in range(depth)
            ]))
        for i in self.out_indices:
            self.add_module(f'norm{i}', LayerNorm2d(dims[i], eps=1e-6))
        self._freeze_stages()

    @property
    def embed_dims(self) -> List[int]:
        return list(self.arch_settings['embed_dims'])

    def forward(self, x: Tensor) -> tuple:
        # Every stride-2 conv needs 2 pixels: the stem's 3×3 halves rounding
        # up, the 2×2s halve rounding down.
        least = 2**(self.num_stages + 1) - 1
        if min(x.shape[-2:]) < least:
            raise ValueError(f'input {tuple(x.shape[-2:])} is too small for '
                             f'{self.num_stages} stages: Conv2Former needs '
                             f'at least {least}×{least}')
        return super().forward(x)

    def forward_stage(self, i: int, x: Tensor) -> Tensor:
        return self.stages[i](self.downsample_layers[i](x))

    def stage_output(self, i: int, x: Tensor) -> Tensor:
        return getattr(self, f'norm{i}')(x)

    def frozen_modules(self, i: int) -> List[nn.Module]:
        return [self.downsample_layers[i], self.stages[i]]

    def reset_parameters(self):
        """The official init: convs and linears truncated normal (std
        0.02) with zero bias, LayerNorms 1 and 0."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    @staticmethod
    def convert_state_dict(state_dict: dict) -> dict:
        return convert_official_conv2former(state_dict)


#: Official key -> this class's key; every other key is the same in both.
OFFICIAL_KEYS = [
    (r'\.attn\.(att|a)\.0\.', '.attn.fc_a.'),
    (r'\.attn\.(att|a)\.2\.', '.attn.dwconv.'),
    (r'\.attn\.v\.', '.attn.fc_v.'),
]


def convert_official_conv2former(state_dict: dict) -> dict:
    """Map the keys of an official Conv2Former checkpoint onto
    :class:`Conv2Former`.

    The official model names ConvMod's layers ``attn.att.0`` (``attn.a.0``
    in the repository's ``convmod.py``), ``attn.att.2`` and ``attn.v``; here
    they are ``attn.fc_a``, ``attn.dwconv`` and ``attn.fc_v``. Everything
    else (``downsample_layers.*``, ``stages.{i}.{j}.*``, the classifier
    ``head.*`` and ``pred.*``) keeps its name; the loader drops the
    classifier. Keys already in this layout pass through, so the mapping is
    idempotent.
    """
    return rename_keys(state_dict, OFFICIAL_KEYS)
