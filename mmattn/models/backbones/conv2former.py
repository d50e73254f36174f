"""Conv2Former, a four-stage ConvNet of convolutional modulation blocks.

Paper: Conv2Former: A Simple Transformer-Style ConvNet for Visual
Recognition, Hou et al., https://arxiv.org/abs/2211.11943 (TPAMI 2024).
Official code consulted: https://github.com/HVision-NKU/Conv2Former
(``models/conv2former.py``). The modules and their math are the official
ones; the classification head is replaced by a LayerNorm on each output
stage, as mmdet and mmseg do for ConvNeXt.
"""
import re
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from mmattn.registry import MODELS
from ..attention.conv_mod import ConvMod, scaled_conv
from ..layers.inplace import gelu_
from ..layers.norm import LayerNorm2d
from ..utils import memory_format_of

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
        fast (bool): Fast formulation, same result (see
            :class:`Conv2Former`). Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self, channels: int, mlp_ratio: int = 4, fast: bool = True,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        hidden = channels * mlp_ratio
        self.fast = fast
        self.norm = LayerNorm2d(channels, eps=1e-6, fast=fast)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.pos = nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden)
        self.fc2 = nn.Conv2d(hidden, channels, 1)
        self.act = nn.GELU()

    def forward(self, x: Tensor, scale: Optional[Tensor] = None) -> Tensor:
        """MLP(x), times ``scale`` (C factors) if given."""
        if not self.fast:
            x = self.act(self.fc1(self.norm(x)))
            out = self.fc2(x + self.act(self.pos(x)))
            return out if scale is None else scale[:, None, None] * out
        x = gelu_(self.fc1(self.norm(x)))
        # GELU's backward keeps its input, not its output: add in place.
        x = gelu_(self.pos(x)).add_(x)
        return scaled_conv(self.fc2, x, scale)


class Conv2FormerBlock(BaseModule):
    """``x + drop_path(ls1 * ConvMod(x))``, then
    ``x + drop_path(ls2 * MLP(x))``; the layer scales start at 1e-6.

    Args:
        channels (int): Input and output channels.
        kernel_size (int): Depthwise kernel of :class:`ConvMod`.
        mlp_ratio (int): Hidden width of the MLP over ``channels``.
            Defaults to 4.
        drop_path (float): Stochastic depth rate. Defaults to 0.
        layer_scale_init (float): Initial layer scale. Defaults to 1e-6.
        fast (bool): Fast formulation, same result. Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self, channels: int, kernel_size: int, mlp_ratio: int = 4,
                 drop_path: float = 0., layer_scale_init: float = 1e-6,
                 fast: bool = True, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.fast = fast
        self.attn = ConvMod(channels, kernel_size, fast=fast)
        self.mlp = Conv2FormerMLP(channels, mlp_ratio, fast=fast)
        self.layer_scale_1 = nn.Parameter(
            torch.full((channels, ), layer_scale_init))
        self.layer_scale_2 = nn.Parameter(
            torch.full((channels, ), layer_scale_init))
        self.drop_path = DropPath(drop_path) if drop_path > 0 \
            else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        if not self.fast:
            x = x + self.drop_path(self.attn(x, self.layer_scale_1))
            return x + self.drop_path(self.mlp(x, self.layer_scale_2))
        x = self._residual(x, self.attn(x, self.layer_scale_1))
        return self._residual(x, self.mlp(x, self.layer_scale_2))

    def _residual(self, x: Tensor, branch: Tensor) -> Tensor:
        """``x + drop_path(branch)``, added in place to the branch's fresh
        output (no backward needs it), in the dtype of the official
        ``x + ls * branch``: float32 under autocast, like the layer scale."""
        dtype = torch.promote_types(
            torch.promote_types(x.dtype, self.layer_scale_1.dtype),
            branch.dtype)
        return self.drop_path(branch).to(dtype).add_(x)


@MODELS.register_module()
class Conv2Former(BaseModule):
    """Conv2Former backbone for dense prediction.

    A paper-and-code-faithful port of the official model without its
    classification head, with a LayerNorm on each output stage:

    - **Stem** (stride 4): conv 3×3 s2 (no bias) to ``dims[0] // 2`` → GELU
      → BN → conv 3×3 (no bias) → GELU → BN → conv 2×2 s2 (no bias) to
      ``dims[0]``. Activation before norm, as in the official code.
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
    arch    kernel dims                depths
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

    By default (``fast=True``) the network runs in channels_last (no layout
    reorders around oneDNN's convs on CPU) with fused LayerNorms, layer
    scales folded into the convs before them and element-wise ops in place
    where autograd allows; the result is the same up to float rounding, in
    the same dtypes under autocast (see
    ``tools/analysis_tools/benchmark_fast_path.py`` for the speed). Outputs
    have the memory format of the input. ``fast=False`` runs the official
    formulation.

    Args:
        arch (str | dict): A name from :attr:`arch_zoo` (or an alias such as
            ``'tiny'``), or a dict with keys ``dims``, ``depths`` and
            ``kernel_size`` (and optionally ``mlp_ratio``, default 4).
            Defaults to 't'.
        in_channels (int): Input channels. Defaults to 3.
        out_indices (Sequence[int] | int): Stages to output, negative
            counting from the last. Defaults to (0, 1, 2, 3).
        frozen_stages (int): Freeze the first ``frozen_stages`` stages with
            their downsampling (the stem for stage 0): no gradients, eval
            mode. 0 freezes nothing. Defaults to 0.
        norm_cfg (dict): Norm layer of the stem. Defaults to
            ``dict(type='BN')``.
        norm_eval (bool): Keep the stem's BN layers in eval mode (frozen
            statistics) during training. Defaults to False.
        drop_path_rate (float): Stochastic depth rate of the last block.
            Defaults to 0.
        layer_scale_init (float): Initial layer scale. Defaults to 1e-6.
        fast (bool): Fast formulation, same result. Defaults to True.
        init_cfg (dict | list[dict], optional): Initialisation config; the
            default is the official one (truncated normal, std 0.02, zero
            bias). Defaults to None.

    Example:
        >>> import torch
        >>> model = Conv2Former('n', out_indices=(1, -1)).eval()
        >>> [tuple(o.shape) for o in model(torch.rand(1, 3, 65, 97))]
        [(1, 128, 8, 12), (1, 512, 2, 3)]
    """
    arch_zoo = {
        **dict.fromkeys(['n', 'nano'], dict(
            kernel_size=7, dims=[64, 128, 256, 512], depths=[2, 2, 8, 2])),
        **dict.fromkeys(['t', 'tiny'], dict(
            kernel_size=11, dims=[72, 144, 288, 576], depths=[3, 3, 12, 3])),
        **dict.fromkeys(['s', 'small'], dict(
            kernel_size=11, dims=[72, 144, 288, 576], depths=[4, 4, 32, 4])),
        **dict.fromkeys(['b', 'base'], dict(
            kernel_size=11, dims=[96, 192, 384, 768], depths=[4, 4, 34, 4])),
        'b_22k': dict(
            kernel_size=7, dims=[96, 192, 384, 768], depths=[4, 4, 34, 4]),
        **dict.fromkeys(['l', 'large'], dict(
            kernel_size=11, dims=[128, 256, 512, 1024],
            depths=[4, 4, 48, 4])),
    }
    arch_keys = {'dims', 'depths', 'kernel_size'}

    def __init__(self,
                 arch='t',
                 in_channels: int = 3,
                 out_indices=(0, 1, 2, 3),
                 frozen_stages: int = 0,
                 norm_cfg: Dict = dict(type='BN'),
                 norm_eval: bool = False,
                 drop_path_rate: float = 0.,
                 layer_scale_init: float = 1e-6,
                 fast: bool = True,
                 init_cfg=None):
        if init_cfg is None:
            init_cfg = [
                dict(type='TruncNormal', layer=['Conv2d', 'Linear'],
                     std=.02, bias=0.),
                dict(type='Constant', layer=['LayerNorm'], val=1., bias=0.),
            ]
        super().__init__(init_cfg=init_cfg)
        arch = self._parse_arch(arch)
        dims, depths = list(arch['dims']), list(arch['depths'])
        self.arch = arch
        self.num_stages = len(depths)
        self.out_indices = self._parse_out_indices(out_indices)
        if not 0 <= frozen_stages <= self.num_stages:
            raise ValueError(f'frozen_stages must be in [0, '
                             f'{self.num_stages}], got {frozen_stages}')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.fast = fast

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
                LayerNorm2d(dims[i - 1], eps=1e-6, fast=fast),
                nn.Conv2d(dims[i - 1], dims[i], 2, 2),
            ))

        rates = torch.linspace(0, drop_path_rate, sum(depths),
                               device='cpu').tolist()
        self.stages = nn.ModuleList()
        for i, depth in enumerate(depths):
            first = sum(depths[:i])
            self.stages.append(nn.Sequential(*[
                Conv2FormerBlock(
                    dims[i], arch['kernel_size'], arch['mlp_ratio'],
                    drop_path=rates[first + j],
                    layer_scale_init=layer_scale_init, fast=fast)
                for j in range(depth)
            ]))
        for i in self.out_indices:
            self.add_module(f'norm{i}',
                            LayerNorm2d(dims[i], eps=1e-6, fast=fast))
        self.dims = dims
        self._freeze_stages()

    def _parse_arch(self, arch) -> dict:
        if isinstance(arch, str):
            if arch not in self.arch_zoo:
                raise ValueError(f'arch {arch!r} is not one of '
                                 f'{sorted(self.arch_zoo)}; pass a dict '
                                 f'for a custom arch')
            arch = self.arch_zoo[arch]
        elif isinstance(arch, dict):
            missing = sorted(self.arch_keys - set(arch))
            if missing:
                raise ValueError(f'custom arch misses the keys {missing}; '
                                 f'it needs {sorted(self.arch_keys)}')
            if len(arch['dims']) != len(arch['depths']):
                raise ValueError(f'custom arch has {len(arch["dims"])} dims '
                                 f'but {len(arch["depths"])} depths')
        else:
            raise TypeError(f'arch must be a str or a dict, got '
                            f'{type(arch).__name__}')
        return {'mlp_ratio': 4, **arch}

    def _parse_out_indices(self, out_indices) -> tuple:
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        if not isinstance(out_indices, Sequence):
            raise TypeError(f'out_indices must be an int or a sequence, '
                            f'got {type(out_indices).__name__}')
        parsed = []
        for index in out_indices:
            if not -self.num_stages <= index < self.num_stages:
                raise ValueError(f'out_indices {tuple(out_indices)} must be '
                                 f'in [{-self.num_stages}, '
                                 f'{self.num_stages})')
            parsed.append(index % self.num_stages)
        return tuple(parsed)

    def forward(self, x: Tensor) -> tuple:
        # Every stride-2 conv needs 2 pixels: the stem's 3×3 halves rounding
        # up, the 2×2s halve rounding down.
        least = 2**(self.num_stages + 1) - 1
        if min(x.shape[-2:]) < least:
            raise ValueError(f'input {tuple(x.shape[-2:])} is too small for '
                             f'{self.num_stages} stages: Conv2Former needs '
                             f'at least {least}×{least}')
        memory_format = torch.contiguous_format
        if self.fast:
            memory_format = memory_format_of(x)
            x = x.contiguous(memory_format=torch.channels_last)
        outs = []
        for i in range(self.num_stages):
            x = self.stages[i](self.downsample_layers[i](x))
            if i in self.out_indices:
                out = getattr(self, f'norm{i}')(x)
                outs.append(out.contiguous(memory_format=memory_format))
        return tuple(outs)

    def _freeze_stages(self):
        for i in range(self.frozen_stages):
            for module in (self.downsample_layers[i], self.stages[i]):
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def train(self, mode: bool = True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    def init_weights(self):
        """Official init, or ``Pretrained`` loading of official and mmattn
        checkpoints through :func:`mmattn.checkpoint.load_pretrained`."""
        cfg = self.init_cfg
        if not (isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        from mmattn.checkpoint import load_pretrained
        load_pretrained(
            self, cfg['checkpoint'], prefix=cfg.get('prefix'),
            convert=convert_official_conv2former,
            drop=(r'^head\.', r'^pred\.'),
            allow_missing=(r'^norm\d+\.', ))
        self._is_init = True


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
    ``head.*`` and ``pred.*``) keeps its name; the caller drops the
    classifier. Keys already in this layout pass through, so the mapping is
    idempotent.
    """
    converted = {}
    for key, value in state_dict.items():
        for pattern, replacement in OFFICIAL_KEYS:
            key = re.sub(pattern, replacement, key)
        converted[key] = value
    return converted
