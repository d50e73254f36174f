"""VAN: Visual Attention Network.

Paper: Visual Attention Network, Guo et al. 2022,
https://arxiv.org/abs/2202.09741.
Official code consulted:
https://github.com/Visual-Attention-Network/VAN-Classification
(``models/van.py``) and VAN-Segmentation (``van.py``); also
mmpretrain's ``models/backbones/van.py`` and mmseg's ``projects/van``, whose
checkpoint layouts :func:`convert_van_state_dict` maps onto this one.
"""
from typing import Dict, List

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule, ModuleList
from torch import Tensor

from mmattn.checkpoint import rename_keys
from mmattn.registry import MODELS
from ..attention.lka import LKA
from ..layers import LayerNorm2d, PointwiseConv2d
from ..utils import init_conv_fan_out
from .base import StagedBackbone

__all__ = ['VAN', 'VANBlock', 'convert_van_state_dict', 'detect_van_format']


class PatchEmbed(BaseModule):
    """Overlapping patch embedding: conv (kernel k, stride s, padding k//2)
    then a batch norm (``proj``, ``norm``)."""

    def __init__(self, in_channels, embed_dims, kernel_size, stride,
                 norm_cfg=dict(type='BN')):
        super().__init__()
        self.proj = nn.Conv2d(in_channels, embed_dims, kernel_size, stride,
                              padding=kernel_size // 2)
        self.norm = build_norm_layer(norm_cfg, embed_dims)[1]

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.proj(x))


class SpatialAttention(BaseModule):
    """``x + proj_2(LKA(GELU(proj_1(x))))``.

    The inner shortcut ``x +`` is in the official code (``shorcut``) but not
    in the paper's Fig. 3 or equations; we follow the code, which the
    released weights were trained with.
    """

    def __init__(self, embed_dims, act_cfg=dict(type='GELU')):
        super().__init__()
        self.proj_1 = PointwiseConv2d(embed_dims, embed_dims)
        self.activation = build_activation_layer(act_cfg)
        self.spatial_gating_unit = LKA(embed_dims)
        self.proj_2 = PointwiseConv2d(embed_dims, embed_dims)

    def forward(self, x: Tensor) -> Tensor:
        a = self.spatial_gating_unit(self.activation(self.proj_1(x)))
        return self.proj_2(a) + x


class MixFFN(BaseModule):
    """``drop(fc2(drop(GELU(dwconv3x3(fc1(x))))))``, 1×1 convs for the
    linears. The official ``mlp.dwconv.dwconv`` wrapper is flattened to
    ``mlp.dwconv`` (as in mmpretrain and mmseg)."""

    def __init__(self, embed_dims, hidden_dims, act_cfg=dict(type='GELU'),
                 drop_rate=0.):
        super().__init__()
        self.fc1 = PointwiseConv2d(embed_dims, hidden_dims)
        self.dwconv = nn.Conv2d(hidden_dims, hidden_dims, 3, padding=1,
                                groups=hidden_dims)
        self.act = build_activation_layer(act_cfg)
        self.fc2 = PointwiseConv2d(hidden_dims, embed_dims)
        self.drop = nn.Dropout(drop_rate)

    def forward(self, x: Tensor) -> Tensor:
        x = self.drop(self.act(self.dwconv(self.fc1(x))))
        return self.drop(self.fc2(x))


class VANBlock(BaseModule):
    """``x + drop_path(ls1 * attn(BN(x)))``, then
    ``x + drop_path(ls2 * mlp(BN(x)))``; layer scales start at 1e-2."""

    def __init__(self, embed_dims, mlp_ratio=4., drop_rate=0.,
                 drop_path_rate=0., act_cfg=dict(type='GELU'),
                 norm_cfg=dict(type='BN'), layer_scale_init_value=1e-2):
        super().__init__()
        self.norm1 = build_norm_layer(norm_cfg, embed_dims)[1]
        self.attn = SpatialAttention(embed_dims, act_cfg)
        self.drop_path = DropPath(drop_path_rate) \
            if drop_path_rate > 0 else nn.Identity()
        self.norm2 = build_norm_layer(norm_cfg, embed_dims)[1]
        self.mlp = MixFFN(embed_dims, int(embed_dims * mlp_ratio), act_cfg,
                          drop_rate)
        self.layer_scale_1 = nn.Parameter(
            torch.full((embed_dims, ), layer_scale_init_value))
        self.layer_scale_2 = nn.Parameter(
            torch.full((embed_dims, ), layer_scale_init_value))

    def forward(self, x: Tensor) -> Tensor:
        ls1 = self.layer_scale_1.view(-1, 1, 1)
        ls2 = self.layer_scale_2.view(-1, 1, 1)
        x = x + self.drop_path(ls1 * self.attn(self.norm1(x)))
        return x + self.drop_path(ls2 * self.mlp(self.norm2(x)))


@MODELS.register_module()
class VAN(StagedBackbone):
    """Visual Attention Network backbone.

    A port of the official VAN-Classification / VAN-Segmentation model,
    module for module and with the same parameters:

    - patch embed: conv 7×7 stride 4 (stage 1) or 3×3 stride 2, then BN;
    - blocks: :class:`VANBlock` with :class:`SpatialAttention` around
      :class:`~mmattn.models.attention.LKA` and a :class:`MixFFN`;
    - a LayerNorm over channels after each stage (eps 1e-6 in the official
      classification models; mmpretrain and mmseg's ``projects/van`` build
      it with PyTorch's default 1e-5, see ``ln_eps``).

    Pretrained weights load from the official, mmpretrain and mmseg
    ``projects/van`` layouts (:func:`convert_van_state_dict`), whole-model
    checkpoints included (their ``backbone.`` keys are used); the classifier
    head is dropped.

    Args:
        arch (str | dict): ``'b0'`` ... ``'b6'`` (aliases ``'tiny'``,
            ``'small'``, ``'base'``, ``'large'`` for b0-b3), or a dict with
            keys ``embed_dims``, ``depths`` and ``mlp_ratios`` (one entry
            per stage). Defaults to ``'b0'``.
        in_channels (int): Input channels. Defaults to 3.
        drop_rate (float): Dropout in the MLPs. Defaults to 0.
        drop_path_rate (float): Stochastic depth, increasing linearly over
            the blocks up to this value. Defaults to 0.
        out_indices (Sequence[int]): Stages to output (negative counts from
            the end). Defaults to (0, 1, 2, 3).
        frozen_stages (int): Stages ``0..frozen_stages`` (each with its
            patch embed and norm) get no gradient and stay in eval mode; -1
            freezes nothing. Defaults to -1.
        norm_eval (bool): Keep the batch norms in eval mode while training.
            Defaults to False.
        norm_cfg (dict): The batch norms (``BN`` or ``SyncBN``). Defaults to
            ``dict(type='BN')``.
        ln_eps (float): Epsilon of the stage LayerNorms. Defaults to 1e-6.
        act_cfg (dict): Activation. Defaults to ``dict(type='GELU')``.
        layer_scale_init_value (float): Defaults to 1e-2.
        init_cfg (dict, optional): ``None`` for the official init, or
            ``dict(type='Pretrained', checkpoint=..., prefix=None)``.
            Defaults to None.

    Example:
        >>> import torch
        >>> from mmattn.models import VAN
        >>> model = VAN('b0').eval()
        >>> for out in model(torch.rand(1, 3, 224, 224)):
        ...     print(tuple(out.shape))
        (1, 32, 56, 56)
        (1, 64, 28, 28)
        (1, 160, 14, 14)
        (1, 256, 7, 7)
    """
    paper = LKA.paper
    _mlp_ratios = [8, 8, 4, 4]
    arch_zoo = {
        **dict.fromkeys(['b0', 'tiny'], dict(
            embed_dims=[32, 64, 160, 256], depths=[3, 3, 5, 2],
            mlp_ratios=_mlp_ratios)),
        **dict.fromkeys(['b1', 'small'], dict(
            embed_dims=[64, 128, 320, 512], depths=[2, 2, 4, 2],
            mlp_ratios=_mlp_ratios)),
        **dict.fromkeys(['b2', 'base'], dict(
            embed_dims=[64, 128, 320, 512], depths=[3, 3, 12, 3],
            mlp_ratios=_mlp_ratios)),
        **dict.fromkeys(['b3', 'large'], dict(
            embed_dims=[64, 128, 320, 512], depths=[3, 5, 27, 3],
            mlp_ratios=_mlp_ratios)),
        'b4': dict(embed_dims=[64, 128, 320, 512], depths=[3, 6, 40, 3],
                   mlp_ratios=_mlp_ratios),
        'b5': dict(embed_dims=[96, 192, 480, 768], depths=[3, 3, 24, 3],
                   mlp_ratios=_mlp_ratios),
        'b6': dict(embed_dims=[96, 192, 384, 768], depths=[6, 6, 90, 6],
                   mlp_ratios=_mlp_ratios),
    }  # yapf: disable
    arch_keys = ('embed_dims', 'depths', 'mlp_ratios')
    per_stage_keys = arch_keys
    #: The classifier of a classification checkpoint (official ``head``,
    #: mmpretrain ``head.fc``).
    classifier_keys = (r'^head\.', )

    def __init__(self,
                 arch='b0',
                 in_channels=3,
                 drop_rate=0.,
                 drop_path_rate=0.,
                 out_indices=(0, 1, 2, 3),
                 frozen_stages=-1,
                 norm_eval=False,
                 norm_cfg=dict(type='BN'),
                 ln_eps=1e-6,
                 act_cfg=dict(type='GELU'),
                 layer_scale_init_value=1e-2,
                 init_cfg=None):
        super().__init__(arch, out_indices, frozen_stages, norm_eval,
                         init_cfg)
        dims, depths = self.embed_dims, self.depths
        rates = torch.linspace(0, drop_path_rate, sum(depths),
                               device='cpu').tolist()
        for i, (width, depth) in enumerate(zip(dims, depths)):
            self.add_module(f'patch_embed{i + 1}', PatchEmbed(
                in_channels if i == 0 else dims[i - 1], width,
                kernel_size=7 if i == 0 else 3, stride=4 if i == 0 else 2,
                norm_cfg=norm_cfg))
            first = sum(depths[:i])
            self.add_module(f'block{i + 1}', ModuleList([
                VANBlock(width, self.arch_settings['mlp_ratios'][i],
                         drop_rate, rates[first + j], act_cfg, norm_cfg,
                         layer_scale_init_value)
                for j in range(depth)]))
            self.add_module(f'norm{i + 1}', LayerNorm2d(width, eps=ln_eps))
        self._freeze_stages()

    @property
    def embed_dims(self) -> List[int]:
        return list(self.arch_settings['embed_dims'])

    @property
    def depths(self) -> List[int]:
        return list(self.arch_settings['depths'])

    def stage(self, i: int) -> Dict[str, nn.Module]:
        """The modules of stage ``i`` (0-based), by role."""
        return dict(patch_embed=getattr(self, f'patch_embed{i + 1}'),
                    blocks=getattr(self, f'block{i + 1}'),
                    norm=getattr(self, f'norm{i + 1}'))

    def forward_stage(self, i: int, x: Tensor) -> Tensor:
        stage = self.stage(i)
        x = stage['patch_embed'](x)
        for block in stage['blocks']:
            x = block(x)
        return stage['norm'](x)

    def frozen_modules(self, i: int) -> List[nn.Module]:
        return list(self.stage(i).values())

    def reset_parameters(self):
        """The official init: convs ~ N(0, 2 / fan_out), LayerNorms 1 and
        0, batch norms as PyTorch builds them."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init_conv_fan_out(m)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    @staticmethod
    def convert_state_dict(state_dict: Dict[str, Tensor]) -> dict:
        return convert_van_state_dict(state_dict)


#: Renames onto mmattn's layout, applied in order. mmattn keeps the official
#: names except the flattened ``mlp.dwconv``, which is also the layout of
#: mmseg's ``projects/van``, so that one needs none.
KEY_RENAMES = (
    # official VAN-Classification / VAN-Segmentation
    (r'\.mlp\.dwconv\.dwconv\.', '.mlp.dwconv.'),
    # mmpretrain
    (r'^blocks(\d+)\.', r'block\1.'),
    (r'^(patch_embed\d+)\.projection\.', r'\1.proj.'),
    (r'\.spatial_gating_unit\.DW_conv\.', '.spatial_gating_unit.conv0.'),
    (r'\.spatial_gating_unit\.DW_D_conv\.',
     '.spatial_gating_unit.conv_spatial.'),
)


def convert_van_state_dict(state_dict: Dict[str, Tensor]) -> dict:
    """Map a VAN checkpoint of any known layout onto :class:`VAN`'s keys.

    Layouts (key examples for stage 1, block 0):

    ==================  ======================================================
    official            ``patch_embed1.proj``, ``block1.0.attn.spatial_gating
                        _unit.conv0/conv_spatial/conv1``, ``block1.0.mlp.
                        dwconv.dwconv``, ``norm1``, ``head``
    mmpretrain          ``backbone.patch_embed1.projection``, ``backbone.
                        blocks1.0.attn.spatial_gating_unit.DW_conv/DW_D_conv
                        /conv1``, ``backbone.blocks1.0.mlp.dwconv``,
                        ``head.fc``
    mmseg projects/van  ``backbone.patch_embed1.proj``, ``backbone.block1.0.
                        attn.spatial_gating_unit.conv0/...``, ``backbone.
                        block1.0.mlp.dwconv``, ``decode_head``...
    ==================  ======================================================

    A whole-model checkpoint (any ``backbone.`` key) contributes only its
    ``backbone.`` keys. The classifier ``head`` of a bare classification
    checkpoint is kept here and dropped by the loader
    (:attr:`VAN.classifier_keys`).
    """
    if any(k.startswith('backbone.') for k in state_dict):
        state_dict = {k[len('backbone.'):]: v for k, v in state_dict.items()
                      if k.startswith('backbone.')}
    return rename_keys(state_dict, KEY_RENAMES)


def detect_van_format(state_dict: Dict[str, Tensor]) -> str:
    """``'official'``, ``'mmpretrain'`` or ``'mmseg'`` (mmattn's own layout
    is mmseg's), from the key names."""
    keys = ' '.join(state_dict)
    if 'DW_D_conv' in keys or 'projection' in keys:
        return 'mmpretrain'
    if 'mlp.dwconv.dwconv' in keys:
        return 'official'
    return 'mmseg'
