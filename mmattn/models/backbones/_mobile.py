"""What MobileNetV2 and MobileNeXt share: a stride-2 stem, stages of blocks
from a settings table, the dense-prediction options (per-stage strides and
dilations) and the ``attention=`` hook that puts any registered block inside
every block."""
import math
from numbers import Real
from typing import List, Optional, Sequence

import torch.nn as nn
from mmcv.cnn import ConvModule
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from ..attention.base import AttentionBlock
from ..builder import build_block
from ..utils import is_pretrained, make_divisible
from .base import StagedBackbone


def stage_attention(attention: Optional[dict],
                    attention_stages: Optional[Sequence[bool]],
                    num_stages: int) -> List[Optional[dict]]:
    """The attention config of each stage: ``attention`` where
    ``attention_stages`` (one bool per stage; None for all) is True, else
    None.

    Raises:
        ValueError: ``attention`` is not a config dict with a ``type``, or
            ``attention_stages`` is not ``num_stages`` bools, or is given
            without an ``attention``.
    """
    if attention is not None and not (isinstance(attention, dict)
                                      and 'type' in attention):
        raise ValueError(f'attention must be None or a block config dict '
                         f"with a type, e.g. dict(type='mmattn."
                         f"CoordAttention'), got {attention!r}")
    if attention_stages is None:
        return [attention] * num_stages
    if attention is None:
        raise ValueError(f'attention_stages={attention_stages!r} needs an '
                         f'attention block config')
    if not isinstance(attention_stages, Sequence) or \
            len(attention_stages) != num_stages or \
            not all(isinstance(on, bool) for on in attention_stages):
        raise ValueError(f'attention_stages must be {num_stages} bools, one '
                         f'per stage, got {attention_stages!r}')
    return [attention if on else None for on in attention_stages]


def build_attention(cfg: Optional[dict], channels: int) -> nn.Module:
    """The block ``cfg`` for ``channels`` channels, or an identity (no
    weights) for None. An unregistered type is a ``ValueError``."""
    if cfg is None:
        return nn.Identity()
    try:
        return build_block(cfg, channels)
    except KeyError as error:
        raise ValueError(f'attention: {error.args[0]}') from None


def _per_stage(value, default, num_stages, name, allowed=None):
    """``value`` (one positive int per stage) as a tuple, or ``default``."""
    if value is None:
        return tuple(default)
    if not isinstance(value, Sequence) or len(value) != num_stages or any(
            isinstance(v, bool) or not isinstance(v, int) or v < 1
            or (allowed and v not in allowed) for v in value):
        raise ValueError(
            f'{name} must be {num_stages} ints, one per stage'
            + (f', each in {allowed}' if allowed else ', each positive')
            + f', got {value!r}')
    return tuple(value)


class MobileBackbone(StagedBackbone):
    """Base of :class:`MobileNetV2` and :class:`MobileNeXt`.

    ``conv1`` (3×3, stride 2) then ``layer1`` ... ``layerN``, one per row of
    the arch's settings table, each a stack of blocks that
    :meth:`make_block` builds; a subclass may add stages after them.
    Stage ``i`` is ``layer{i+1}`` (with ``conv1`` before stage 0), so
    ``out_indices`` count as in mmdet's and mmseg's MobileNetV2, and
    ``frozen_stages=0`` freezes ``conv1``, ``k`` also ``layer1`` ...
    ``layerk``, as there. Frozen modules also stay in eval mode (mmseg and
    mmdet leave ``conv1``'s BN training).

    Stages after the last of ``out_indices`` are not built: they would hold
    weights that get no gradient (which DDP refuses). Their keys in a
    pretrained checkpoint are dropped with the classifier.

    Args:
        arch (str | dict): A name of :attr:`arch_zoo` or a dict with the
            keys ``expand_ratios``, ``channels``, ``num_blocks`` and
            ``strides``, one entry per stage.
        widen_factor (float): Width multiplier; widths are rounded to
            multiples of 8 (of 4 at 0.1), as in the official code.
        strides (Sequence[int], optional): Stride of each stage's first
            block, 1 or 2; None for the arch's. Dense prediction sets some
            to 1 (with dilations) for output stride 16 or 8.
        dilations (Sequence[int], optional): Dilation of the depthwise convs
            of each stage's first block (later blocks keep 1, as mmseg's
            MobileNetV2 does); None for all 1.
        attention (dict, optional): An attention block config, e.g.
            ``dict(type='mmattn.CoordAttention')``; any registered block.
            None for the plain network.
        attention_stages (Sequence[bool], optional): Per stage, whether its
            blocks hold ``attention``; None for all.
        out_indices, frozen_stages, norm_eval, init_cfg: See
            :class:`StagedBackbone`.
        norm_cfg (dict): Norm of every conv. Defaults to
            ``dict(type='BN')``.
        act_cfg (dict): Activation. Defaults to ``dict(type='ReLU6')``.
    """
    arch_keys = ('expand_ratios', 'channels', 'num_blocks', 'strides')
    per_stage_keys = arch_keys
    #: Stem width before ``widen_factor``.
    stem_channels = 32

    def __init__(self,
                 arch,
                 widen_factor: float = 1.,
                 strides: Optional[Sequence[int]] = None,
                 dilations: Optional[Sequence[int]] = None,
                 attention: Optional[dict] = None,
                 attention_stages: Optional[Sequence[bool]] = None,
                 out_indices: Sequence[int] = (1, 2, 4, 7),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 init_cfg=None):
        super().__init__(arch, out_indices, frozen_stages, norm_eval,
                         init_cfg)
        if isinstance(widen_factor, bool) or \
                not isinstance(widen_factor, Real) or widen_factor <= 0:
            raise ValueError(f'widen_factor must be a positive number, got '
                             f'{widen_factor!r}')
        self.widen_factor = widen_factor
        num_layers = len(self.arch_settings['channels'])
        self.strides = _per_stage(strides, self.arch_settings['strides'],
                                  num_layers, 'strides', (1, 2))
        self.dilations = _per_stage(dilations, [1] * num_layers, num_layers,
                                    'dilations')
        attentions = stage_attention(attention, attention_stages, num_layers)
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg

        all_stages, self.num_stages = self.num_stages, max(
            self.out_indices) + 1
        self.classifier_keys = type(self).classifier_keys + tuple(
            rf'^{self.stage_name(i)}\.'
            for i in range(self.num_stages, all_stages))

        in_channels = self.width(self.stem_channels)
        self.conv1 = self.conv(3, in_channels, 3, stride=2)
        for i in range(min(num_layers, self.num_stages)):
            out_channels = self.stage_channels(i)
            blocks = []
            for j in range(self.arch_settings['num_blocks'][i]):
                first = j == 0
                blocks.append(self.make_block(
                    i, j, in_channels, out_channels,
                    stride=self.strides[i] if first else 1,
                    dilation=self.dilations[i] if first else 1,
                    attention=attentions[i]))
                in_channels = out_channels
            self.add_module(self.stage_name(i), nn.Sequential(*blocks))

    def stage_name(self, i: int) -> str:
        """Module name of stage ``i``: ``layer{i+1}``."""
        return f'layer{i + 1}'

    def width(self, channels: float) -> int:
        """``channels`` times ``widen_factor``, made divisible by 8 (by 4 at
        ``widen_factor=0.1``), as the official code rounds every width."""
        return make_divisible(channels * self.widen_factor,
                              4 if self.widen_factor == 0.1 else 8)

    def stage_channels(self, i: int) -> int:
        """Output channels of stage ``i``'s blocks."""
        return self.width(self.arch_settings['channels'][i])

    def conv(self, in_channels, out_channels, kernel_size, stride=1,
             dilation=1, groups=1, act=True) -> ConvModule:
        """Conv (no bias), norm and, with ``act``, the activation."""
        return ConvModule(
            in_channels, out_channels, kernel_size, stride=stride,
            padding=dilation * (kernel_size // 2), dilation=dilation,
            groups=groups, norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg if act else None)

    def make_block(self, stage: int, index: int, in_channels: int,
                   out_channels: int, stride: int, dilation: int,
                   attention: Optional[dict]) -> nn.Module:
        """Block ``index`` of stage ``stage``."""
        raise NotImplementedError

    def forward_stage(self, i: int, x: Tensor) -> Tensor:
        if i == 0:
            x = self.conv1(x)
        return getattr(self, self.stage_name(i))(x)

    def frozen_modules(self, i: int) -> List[nn.Module]:
        if i == 0:
            return [self.conv1]
        layer = getattr(self, f'layer{i}', None)  # None: not built
        return [] if layer is None else [layer]

    def reset_parameters(self):
        """The official init (``_initialize_weights`` in both official
        models, attention blocks included, as ``mbv2_ca.py`` does for CA):
        conv weights ~ N(0, 2 / (k² · out_channels)), biases 0, norm
        weights 1 and biases 0, linear weights ~ N(0, 0.01)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = math.prod(m.kernel_size) * m.out_channels
                nn.init.normal_(m.weight, 0, math.sqrt(2. / fan_out))
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (_BatchNorm, nn.GroupNorm)) and m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def init_weights(self):
        """:meth:`StagedBackbone.init_weights`, then, unless a checkpoint
        was loaded, each attention block's own
        :meth:`~AttentionBlock.reset_parameters`, so that its zero or
        identity start survives the backbone's init and a host's."""
        super().init_weights()
        if not is_pretrained(self.init_cfg):
            for m in self.modules():
                if isinstance(m, AttentionBlock):
                    m.reset_parameters()


def backbone_keys(state_dict: dict) -> dict:
    """The backbone's part of a checkpoint: ``module.`` (DDP) stripped, and
    of a whole-model checkpoint (any ``backbone.`` key) only the
    ``backbone.`` keys, stripped."""
    if state_dict and all(k.startswith('module.') for k in state_dict):
        state_dict = {k[len('module.'):]: v for k, v in state_dict.items()}
    if any(k.startswith('backbone.') for k in state_dict):
        state_dict = {k[len('backbone.'):]: v for k, v in state_dict.items()
                      if k.startswith('backbone.')}
    return dict(state_dict)


def flat_layout_rules(num_blocks: Sequence[int], block_table) -> list:
    """:func:`mmattn.checkpoint.rename_keys` rules for the official flat
    layouts: ``features.0`` the stem (conv, BN), ``features.N`` the N-th
    block through the network, renamed with the table ``block_table(N)``
    (see :func:`renamer`) into ``layer{i}.{j}``; ``num_blocks`` (per stage)
    maps N back to its stage. Keys of other ``features.N`` are left as
    they are."""
    names = [f'layer{i + 1}.{j}' for i, n in enumerate(num_blocks)
             for j in range(n)]
    blocks = {str(n): (name, block_table(n))
              for n, name in enumerate(names, 1)}
    return [(r'^features\.0\.0\.', 'conv1.conv.'),
            (r'^features\.0\.1\.', 'conv1.bn.'),
            (r'^features\.(\d+)\.(.+)$', renamer(blocks))]


def renamer(blocks: dict):
    """A ``re.sub`` replacement for converters (with
    :func:`mmattn.checkpoint.rename_keys`) that rename whole blocks: for a
    match of ``(block)\\.(tail)`` with ``blocks[block] = (name, table)``,
    ``name.`` then the tail with its longest prefix in ``table`` replaced;
    other blocks keep their key."""

    def rename(match):
        block, tail = match.groups()
        if block not in blocks:
            return match.group(0)
        name, table = blocks[block]
        for old in sorted(table, key=len, reverse=True):
            if tail.startswith(old):
                return f'{name}.{table[old]}{tail[len(old):]}'
        return f'{name}.{tail}'

    return rename
