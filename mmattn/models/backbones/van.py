"""VAN: Visual Attention Network.

Paper: Visual Attention Network, Guo et al. 2022,
https://arxiv.org/abs/2202.09741.
Official code consulted:
https://github.com/Visual-Attention-Network/VAN-Classification
(``models/van.py``) and VAN-Segmentation (``van.py``); also
mmpretrain's ``models/backbones/van.py`` and mmseg's ``projects/van``, whose
checkpoint layouts :func:`convert_van_state_dict` maps onto this one.
"""
import re
from typing import Dict, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule, ModuleList
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from mmattn.registry import MODELS
from ..attention.lka import LKA, conv_fan_out_init
from ..layers import (PointwiseConv2d, bn_affine, fuse_bn_conv, fuse_conv_bn,
                      scale_conv)
from ..layers.fused import can_fuse, fused_conv, fused_linear, gelu_attr
from ..utils import memory_format_of


class PatchEmbed(BaseModule):
    """Overlapping patch embedding: conv (kernel k, stride s, padding k//2)
    then a batch norm. ``proj``/``norm`` as in the official code."""

    def __init__(self, in_channels, embed_dims, kernel_size, stride,
                 norm_cfg=dict(type='BN')):
        super().__init__()
        self.proj = nn.Conv2d(in_channels, embed_dims, kernel_size, stride,
                              padding=kernel_size // 2)
        self.norm = build_norm_layer(norm_cfg, embed_dims)[1]

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.proj(x))

    def switch_to_deploy(self):
        self.proj = fuse_conv_bn(self.proj, self.norm)
        self.norm = nn.Identity()


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

    def branch(self, x: Tensor) -> Tensor:
        """Everything but the shortcut."""
        x = self.activation(self.proj_1(x))
        return self.proj_2(self.spatial_gating_unit(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.branch(x) + x


class MixFFN(BaseModule):
    """``fc2(drop(GELU(dwconv3x3(fc1(x)))))``, 1×1 convs for the linears,
    dropout after the activation and after ``fc2`` as in the official
    ``Mlp``. The official ``mlp.dwconv.dwconv`` wrapper is flattened to
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
    ``x + drop_path(ls2 * mlp(BN(x)))``; layer scales start at 1e-2.

    :meth:`switch_to_deploy` folds ``norm1`` into ``proj_1``, ``norm2`` into
    ``fc1``, ``layer_scale_1`` into ``proj_2`` and ``layer_scale_2`` into
    ``fc2``. What is left of ``x + ls1 * (branch(BN(x)) + BN(x))`` outside
    the convs is ``x * (1 + ls1 * bn_scale)``: one ``addcmul``.
    """

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
        self.deploy = False

    def forward(self, x: Tensor) -> Tensor:
        if self.fused and can_fuse(x, self):
            return self._forward_fused(x)
        if self.deploy:
            x = torch.addcmul(self.attn.branch(x), x, self.skip_scale)
            return x + self.mlp(x)
        ls1 = self.layer_scale_1.view(-1, 1, 1)
        ls2 = self.layer_scale_2.view(-1, 1, 1)
        x = x + self.drop_path(ls1 * self.attn(self.norm1(x)))
        return x + self.drop_path(ls2 * self.mlp(self.norm2(x)))

    @property
    def fused(self) -> bool:
        """Inference may use oneDNN's fused kernels (both activations are
        GELU and the LKA runs its fast path)."""
        return (self.attn.spatial_gating_unit.fast
                and gelu_attr(self.attn.activation) is not None
                and gelu_attr(self.mlp.act) is not None)

    def _forward_fused(self, x: Tensor) -> Tensor:
        """:meth:`forward` in eval mode, with the pointwise ops fused into
        the convs (:mod:`mmattn.models.layers.fused`): proj_1 + GELU,
        conv1 + the LKA product, proj_2 + the inner shortcut, dwconv + GELU,
        and in deploy form fc2 + the residual."""
        attn, lka, mlp = self.attn, self.attn.spatial_gating_unit, self.mlp
        h = x if self.deploy else self.norm1(x)
        a = fused_linear(h, attn.proj_1, gelu=gelu_attr(attn.activation))
        a = fused_linear(lka.conv_spatial(lka.conv0(a)), lka.conv1,
                         binary='mul', other=a)
        if self.deploy:
            x = torch.addcmul(fused_linear(a, attn.proj_2), x,
                              self.skip_scale)
            h = fused_conv(fused_linear(x, mlp.fc1), mlp.dwconv,
                           gelu_attr(mlp.act))
            return fused_linear(h, mlp.fc2, binary='add', other=x)
        a = fused_linear(a, attn.proj_2, binary='add', other=h)
        x = torch.addcmul(x, self.layer_scale_1.view(-1, 1, 1), a)
        h = fused_conv(fused_linear(self.norm2(x), mlp.fc1), mlp.dwconv,
                       gelu_attr(mlp.act))
        return torch.addcmul(x, self.layer_scale_2.view(-1, 1, 1),
                             fused_linear(h, mlp.fc2))

    @torch.no_grad()
    def switch_to_deploy(self):
        ls1, ls2 = self.layer_scale_1.detach(), self.layer_scale_2.detach()
        scale, shift = bn_affine(self.norm1)
        attn = self.attn
        attn.proj_1 = fuse_bn_conv(self.norm1, attn.proj_1)
        attn.proj_2 = scale_conv(attn.proj_2, ls1, ls1 * shift)
        self.register_buffer('skip_scale', (1 + ls1 * scale).view(-1, 1, 1))
        self.mlp.fc1 = fuse_bn_conv(self.norm2, self.mlp.fc1)
        self.mlp.fc2 = scale_conv(self.mlp.fc2, ls2)
        del self.norm1, self.norm2, self.layer_scale_1, self.layer_scale_2
        self.deploy = True


@MODELS.register_module()
class VAN(BaseModule):
    """Visual Attention Network backbone.

    A faithful port of the official VAN-Classification / VAN-Segmentation
    model, module for module and with the same parameters:

    - patch embed: conv 7×7 stride 4 (stage 1) or 3×3 stride 2, then BN;
    - blocks: :class:`VANBlock` with :class:`SpatialAttention` around
      :class:`~mmattn.models.attention.LKA` and a :class:`MixFFN`;
    - a LayerNorm over channels after each stage (eps 1e-6 in the official
      classification models; mmpretrain and mmseg's ``projects/van`` build
      it with PyTorch's default 1e-5, see ``ln_eps``).

    With a 1000-class head (LayerNorm'd stage-4 mean, Linear) b0-b3 count
    4.11M / 13.86M / 26.58M / 44.77M parameters, as published.

    ``fast=True`` (default) runs the same math faster on CPU: the dilated
    depthwise conv as polyphase parts, the whole network in channels_last
    memory format (stage outputs come back in the input's format), the 1×1
    convs as matrix products on that layout and, in eval mode without
    gradients, oneDNN kernels with the GELUs, the LKA product and the shortcuts
    fused into the convs (:mod:`mmattn.models.layers.fused`). ``fast=False`` is
    the straightforward per-op formulation, kept as a reference; it is also
    what runs on GPUs, where the rewrites have not been measured. For
    inference, :meth:`switch_to_deploy` also folds the batch norms and the
    layer scales into the neighbouring convs.

    Pretrained weights (``init_cfg=dict(type='Pretrained', checkpoint=...,
    prefix=None)``) load from the official, mmpretrain and mmseg
    ``projects/van`` layouts, whole-model checkpoints included (their
    ``backbone.`` keys are used); the classifier head is dropped, anything
    else that does not fit is an error listing the keys. See
    :func:`convert_van_state_dict`.

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
        frozen_stages (int): Stages ``0..frozen_stages`` get no gradient and
            stay in eval mode; -1 freezes nothing. Defaults to -1.
        norm_eval (bool): Keep the batch norms in eval mode while training.
            Defaults to False.
        norm_cfg (dict): The batch norms (``BN`` or ``SyncBN``). Defaults to
            ``dict(type='BN')``.
        ln_eps (float): Epsilon of the stage LayerNorms. Defaults to 1e-6.
        act_cfg (dict): Activation. Defaults to ``dict(type='GELU')``.
        layer_scale_init_value (float): Defaults to 1e-2.
        fast (bool): Polyphase dilated conv and channels_last. Defaults to
            True.
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
    arch_zoo = {
        **dict.fromkeys(['b0', 'tiny'], dict(
            embed_dims=[32, 64, 160, 256], depths=[3, 3, 5, 2])),
        **dict.fromkeys(['b1', 'small'], dict(
            embed_dims=[64, 128, 320, 512], depths=[2, 2, 4, 2])),
        **dict.fromkeys(['b2', 'base'], dict(
            embed_dims=[64, 128, 320, 512], depths=[3, 3, 12, 3])),
        **dict.fromkeys(['b3', 'large'], dict(
            embed_dims=[64, 128, 320, 512], depths=[3, 5, 27, 3])),
        'b4': dict(embed_dims=[64, 128, 320, 512], depths=[3, 6, 40, 3]),
        'b5': dict(embed_dims=[96, 192, 480, 768], depths=[3, 3, 24, 3]),
        'b6': dict(embed_dims=[96, 192, 384, 768], depths=[6, 6, 90, 6]),
    }  # yapf: disable
    mlp_ratios = (8, 8, 4, 4)
    arch_keys = ('embed_dims', 'depths', 'mlp_ratios')

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
                 fast=True,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        settings = self._arch_settings(arch)
        self.embed_dims = settings['embed_dims']
        self.depths = settings['depths']
        self.num_stages = len(self.depths)
        self.out_indices = self._check_indices(out_indices)
        if not -1 <= frozen_stages < self.num_stages:
            raise ValueError(f'frozen_stages must be in [-1, '
                             f'{self.num_stages - 1}], got {frozen_stages}')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        dpr = torch.linspace(0, drop_path_rate, sum(self.depths)).tolist()
        for i, (dims, depth) in enumerate(zip(self.embed_dims, self.depths)):
            self.add_module(f'patch_embed{i + 1}', PatchEmbed(
                in_channels if i == 0 else self.embed_dims[i - 1], dims,
                kernel_size=7 if i == 0 else 3, stride=4 if i == 0 else 2,
                norm_cfg=norm_cfg))
            first = sum(self.depths[:i])
            self.add_module(f'block{i + 1}', ModuleList([
                VANBlock(dims, settings['mlp_ratios'][i], drop_rate,
                         dpr[first + j], act_cfg, norm_cfg,
                         layer_scale_init_value)
                for j in range(depth)]))
            self.add_module(f'norm{i + 1}', nn.LayerNorm(dims, eps=ln_eps))
        self.fast = fast
        self._freeze_stages()

    @property
    def fast(self) -> bool:
        """Polyphase dilated convs and channels_last; settable."""
        return self._fast

    @fast.setter
    def fast(self, value: bool):
        self._fast = value
        for m in self.modules():
            if isinstance(m, LKA):
                m.fast = value

    def _arch_settings(self, arch) -> dict:
        if isinstance(arch, str):
            if arch.lower() not in self.arch_zoo:
                raise ValueError(f'arch must be one of '
                                 f'{sorted(self.arch_zoo)} or a dict, '
                                 f'got {arch!r}')
            return dict(self.arch_zoo[arch.lower()],
                        mlp_ratios=list(self.mlp_ratios))
        if not isinstance(arch, dict) or set(arch) != set(self.arch_keys):
            got = sorted(arch) if isinstance(arch, dict) else repr(arch)
            raise ValueError(f'a custom arch must be a dict with exactly the '
                             f'keys {list(self.arch_keys)}, got {got}')
        lengths = {len(arch[k]) for k in self.arch_keys}
        if len(lengths) != 1 or not lengths.pop():
            raise ValueError(f'arch {self.arch_keys} need one entry per '
                             f'stage each, got {arch}')
        return arch

    def _check_indices(self, out_indices) -> Sequence[int]:
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        indices = []
        for index in out_indices:
            if not -self.num_stages <= index < self.num_stages:
                raise ValueError(f'out_indices must be in '
                                 f'[-{self.num_stages}, {self.num_stages}), '
                                 f'got {tuple(out_indices)}')
            indices.append(index % self.num_stages)
        return tuple(indices)

    def stage(self, i: int) -> Dict[str, nn.Module]:
        """The modules of stage ``i`` (0-based), by role."""
        return dict(patch_embed=getattr(self, f'patch_embed{i + 1}'),
                    blocks=getattr(self, f'block{i + 1}'),
                    norm=getattr(self, f'norm{i + 1}'))

    def forward(self, x: Tensor) -> tuple:
        # Outputs come back in the input's memory format, whatever the fast
        # path runs in: mmcv's CPU ops (RoIAlign among them) read their
        # input as NCHW without checking and give wrong numbers otherwise.
        out_format = memory_format_of(x)
        layout = torch.channels_last if self.fast and x.is_cpu \
            else torch.contiguous_format
        x = x.contiguous(memory_format=layout)
        outs = []
        for i in range(self.num_stages):
            stage = self.stage(i)
            x = stage['patch_embed'](x)
            for block in stage['blocks']:
                x = block(x)
            x = stage['norm'](x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
            x = x.contiguous(memory_format=layout)
            if i in self.out_indices:
                outs.append(x.contiguous(memory_format=out_format))
        return tuple(outs)

    def _freeze_stages(self):
        for i in range(self.frozen_stages + 1):
            for module in self.stage(i).values():
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def init_weights(self):
        """Official init, or the ``Pretrained`` checkpoint of ``init_cfg``
        in any of the layouts :func:`convert_van_state_dict` knows."""
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            from mmattn.checkpoint import load_pretrained
            load_pretrained(self, cfg['checkpoint'], prefix=cfg.get('prefix'),
                            convert=convert_van_state_dict,
                            drop=CLASSIFIER_KEYS)
        elif cfg is None:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    conv_fan_out_init(m)
                elif isinstance(m, nn.LayerNorm):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
        else:
            return super().init_weights()
        self._is_init = True

    @torch.no_grad()
    def switch_to_deploy(self):
        """Fold every batch norm and layer scale into the convs, for
        inference. Irreversible; call on an eval-mode model (the running
        statistics are what gets folded)."""
        for i in range(self.num_stages):
            stage = self.stage(i)
            stage['patch_embed'].switch_to_deploy()
            for block in stage['blocks']:
                block.switch_to_deploy()


#: Keys of a classifier head (official ``head``, mmpretrain ``head.fc``),
#: dropped silently when loading a classification checkpoint.
CLASSIFIER_KEYS = (r'^head\.', )

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
    ``backbone.`` keys; the heads of the model it came from are not the
    backbone's business. The classifier ``head`` of a bare classification
    checkpoint is kept here and dropped by the loader
    (:data:`CLASSIFIER_KEYS`).
    """
    if any(k.startswith('backbone.') for k in state_dict):
        state_dict = {k[len('backbone.'):]: v for k, v in state_dict.items()
                      if k.startswith('backbone.')}
    converted = {}
    for key, value in state_dict.items():
        for pattern, replacement in KEY_RENAMES:
            key = re.sub(pattern, replacement, key)
        converted[key] = value
    return converted


def detect_van_format(state_dict: Dict[str, Tensor]) -> str:
    """``'official'``, ``'mmpretrain'`` or ``'mmseg'`` (mmattn's own layout
    is mmseg's), from the key names."""
    keys = ' '.join(state_dict)
    if 'DW_D_conv' in keys or 'projection' in keys:
        return 'mmpretrain'
    if 'mlp.dwconv.dwconv' in keys:
        return 'official'
    return 'mmseg'
