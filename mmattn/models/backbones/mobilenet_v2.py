"""MobileNetV2 with an attention block inside every inverted residual block.

Papers: MobileNetV2: Inverted Residuals and Linear Bottlenecks, Sandler et
al., CVPR 2018, https://arxiv.org/abs/1801.04381; Coordinate Attention for
Efficient Mobile Network Design, Hou et al., CVPR 2021,
https://arxiv.org/abs/2103.02907 (where the attention goes).
Code consulted: https://github.com/houqb/CoordAttention (``mbv2_ca.py``),
mmdet's, mmseg's and mmpretrain's ``MobileNetV2`` and torchvision's
``mobilenet_v2``, whose checkpoint layouts :func:`convert_mobilenet_v2` maps
onto this one.
"""
import re
from typing import Dict, Optional, Sequence

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmattn.checkpoint import rename_keys
from mmattn.registry import MODELS
from ..attention.base import Paper
from ._mobile import (MobileBackbone, backbone_keys, build_attention,
                      flat_layout_rules, renamer)

__all__ = ['MobileNetV2', 'InvertedResidual', 'convert_mobilenet_v2']

#: The settings table of the paper (Table 2): t, c, n, s per stage.
MOBILENET_V2 = dict(
    expand_ratios=[1, 6, 6, 6, 6, 6, 6],
    channels=[16, 24, 32, 64, 96, 160, 320],
    num_blocks=[1, 2, 3, 4, 3, 3, 1],
    strides=[1, 2, 2, 2, 1, 2, 1])


class InvertedResidual(BaseModule):
    """MobileNetV2's inverted residual block, with an attention slot.

    ``expand_conv`` (1×1, norm, act; absent at ``expand_ratio=1``) →
    ``depthwise_conv`` (3×3, norm, act) → ``attention`` → ``linear_conv``
    (1×1, norm), plus the input when the shapes agree. The attention block
    sits where the official ``mbv2_ca.py`` puts coordinate attention: after
    the depthwise conv, at the expanded width, and only in blocks that
    expand. Module names are mmdet's ``InvertedResidual``'s.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        expand_ratio (float): Hidden width over ``in_channels`` (rounded).
        stride (int): Stride of the depthwise conv. Defaults to 1.
        dilation (int): Dilation of the depthwise conv. Defaults to 1.
        attention (dict, optional): Attention block config; None for none.
            Defaults to None.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to
            ``dict(type='ReLU6')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 expand_ratio: float,
                 stride: int = 1,
                 dilation: int = 1,
                 attention: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 init_cfg=None):
        super().__init__(init_cfg)
        hidden = int(round(in_channels * expand_ratio))
        self.use_res_connect = stride == 1 and in_channels == out_channels
        conv = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.expand_conv = ConvModule(in_channels, hidden, 1, **conv) \
            if expand_ratio != 1 else nn.Identity()
        self.depthwise_conv = ConvModule(
            hidden, hidden, 3, stride=stride, padding=dilation,
            dilation=dilation, groups=hidden, **conv)
        self.attention = build_attention(
            attention if expand_ratio != 1 else None, hidden)
        self.linear_conv = ConvModule(hidden, out_channels, 1,
                                      norm_cfg=norm_cfg, act_cfg=None)

    def forward(self, x: Tensor) -> Tensor:
        out = self.depthwise_conv(self.expand_conv(x))
        out = self.linear_conv(self.attention(out))
        return x + out if self.use_res_connect else out


@MODELS.register_module()
class MobileNetV2(MobileBackbone):
    """MobileNetV2 backbone that takes any attention block.

    The paper's network (its Table 2 as ``arch='mobilenet_v2'``): ``conv1``
    (3×3, stride 2, 32 channels), seven stages ``layer1`` ... ``layer7`` of
    :class:`InvertedResidual` blocks and ``conv2``, the 1×1 conv to 1280
    channels (``1280 × widen_factor`` above 1), ReLU6 throughout. Stages
    0-6 are the layers and stage 7 is ``conv2``, as ``out_indices`` count
    in mmdet's MobileNetV2; mmseg's has no ``conv2`` (stop at 6 and it is
    not built). Strides and dilations follow mmseg's MobileNetV2, so its
    DeepLab settings (``strides=(1, 2, 2, 1, 1, 1, 1)``, ``dilations=(1, 1,
    1, 2, 2, 4, 4)``) give output stride 8 here too.

    ``attention=dict(type='mmattn.CoordAttention')`` is the official
    MobileNetV2 + CA (``mbv2_ca.py``): the default CoordAttention is the
    official one (hidden width ``max(8, C // 32)``, h-swish, sigmoid gates)
    and sits after the depthwise conv of every block that expands.
    ``dict(type='mmattn.SE', ratio=24, act_cfg=dict(type='ReLU6'))`` is the
    SE block the CA authors compare with (width ``C // 24``); any other
    registered block fits the same slot.

    Pretrained weights (``init_cfg=dict(type='Pretrained', checkpoint=...,
    prefix=None)``) load from the official CA ``mbv2_ca.pth``, torchvision,
    mmpretrain (mmseg's ``mmcls://mobilenet_v2``) and mmdet layouts; see
    :func:`convert_mobilenet_v2`.

    Args:
        arch (str | dict): ``'mobilenet_v2'`` or a dict of per-stage
            ``expand_ratios``, ``channels``, ``num_blocks``, ``strides``
            and optionally ``last_channels`` (1280). Defaults to
            ``'mobilenet_v2'``.
        widen_factor (float): Width multiplier (0.35, 0.5, 0.75, 1.0, 1.4,
            ...). Defaults to 1.0.
        strides (Sequence[int], optional): First-block stride of each of the
            7 stages; None for the arch's. Defaults to None.
        dilations (Sequence[int], optional): First-block dilation of each
            stage; None for all 1. Defaults to None.
        attention (dict, optional): Attention block config; None for the
            plain network. Defaults to None.
        attention_stages (Sequence[bool], optional): Per stage (7), whether
            it holds the attention; None for all. Defaults to None.
        out_indices (Sequence[int]): Stages to output, 0-7 (7: ``conv2``).
            Defaults to (1, 2, 4, 7) (strides 4, 8, 16, 32).
        frozen_stages (int): -1 freezes nothing, 0 ``conv1``, k also
            ``layer1`` ... ``layerk``. Defaults to -1.
        norm_eval (bool): Keep the batch norms in eval mode while training.
            Defaults to False.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to
            ``dict(type='ReLU6')``.
        init_cfg (dict, optional): ``None`` for the official init, or
            ``dict(type='Pretrained', checkpoint=..., prefix=None)``.
            Defaults to None.

    Example:
        >>> import torch
        >>> from mmattn.models.backbones import MobileNetV2
        >>> model = MobileNetV2(
        ...     attention=dict(type='mmattn.CoordAttention')).eval()
        >>> for out in model(torch.rand(1, 3, 224, 224)):
        ...     print(tuple(out.shape))
        (1, 24, 56, 56)
        (1, 32, 28, 28)
        (1, 96, 14, 14)
        (1, 1280, 7, 7)
    """
    paper = Paper(
        title='MobileNetV2: Inverted Residuals and Linear Bottlenecks',
        url='https://arxiv.org/abs/1801.04381',
        year=2018,
        family=None,
        code='https://github.com/houqb/CoordAttention')
    arch_zoo = {'mobilenet_v2': MOBILENET_V2}
    arch_defaults = dict(last_channels=1280)
    classifier_keys = (r'^classifier\.', r'^head\.')

    def __init__(self, arch='mobilenet_v2', widen_factor=1., **kwargs):
        super().__init__(arch, widen_factor, **kwargs)
        num_layers = len(self.arch_settings['channels'])
        if self.num_stages > num_layers:
            last = self.arch_settings['last_channels']
            self.last_channels = self.width(last) if widen_factor > 1 \
                else last
            self.conv2 = self.conv(self.stage_channels(num_layers - 1),
                                   self.last_channels, 1)
        self._freeze_stages()

    @classmethod
    def count_stages(cls, arch: dict) -> int:
        return len(arch['channels']) + 1  # the layers, then conv2

    def stage_name(self, i: int) -> str:
        return 'conv2' if i == len(self.arch_settings['channels']) \
            else super().stage_name(i)

    def make_block(self, stage, index, in_channels, out_channels, stride,
                   dilation, attention):
        return InvertedResidual(
            in_channels, out_channels,
            self.arch_settings['expand_ratios'][stage], stride, dilation,
            attention, self.norm_cfg, self.act_cfg)

    def convert_state_dict(self, state_dict):
        return convert_mobilenet_v2(state_dict,
                                    self.arch_settings['num_blocks'])


# Checkpoint layouts. In each table, the keys of one block (after its
# prefix) -> this model's names; "expanding" blocks have a 1×1 expansion.
_MMPRETRAIN = {
    True: {'conv.0.': 'expand_conv.', 'conv.1.': 'depthwise_conv.',
           'conv.2.': 'linear_conv.'},
    False: {'conv.0.': 'depthwise_conv.', 'conv.1.': 'linear_conv.'},
}
_TORCHVISION = {
    True: {'conv.0.0.': 'expand_conv.conv.', 'conv.0.1.': 'expand_conv.bn.',
           'conv.1.0.': 'depthwise_conv.conv.',
           'conv.1.1.': 'depthwise_conv.bn.', 'conv.2.': 'linear_conv.conv.',
           'conv.3.': 'linear_conv.bn.'},
    False: {'conv.0.0.': 'depthwise_conv.conv.',
            'conv.0.1.': 'depthwise_conv.bn.', 'conv.1.': 'linear_conv.conv.',
            'conv.2.': 'linear_conv.bn.'},
}
# mbv2_ca.py numbers every layer of a block's Sequential, activations too;
# its CoordAtt names the two gate convs conv2 and conv3 (coordatt.py, whose
# names CoordAttention keeps: conv_h and conv_w).
_OFFICIAL_CA = {
    True: {'conv.0.': 'expand_conv.conv.', 'conv.1.': 'expand_conv.bn.',
           'conv.3.': 'depthwise_conv.conv.', 'conv.4.': 'depthwise_conv.bn.',
           'conv.6.conv2.': 'attention.conv_h.',
           'conv.6.conv3.': 'attention.conv_w.', 'conv.6.': 'attention.',
           'conv.7.': 'linear_conv.conv.', 'conv.8.': 'linear_conv.bn.'},
    False: {'conv.0.': 'depthwise_conv.conv.', 'conv.1.': 'depthwise_conv.bn.',
            'conv.3.': 'linear_conv.conv.', 'conv.4.': 'linear_conv.bn.'},
}


def detect_mobilenet_v2_format(state_dict: Dict[str, Tensor]) -> str:
    """``'official_ca'``, ``'torchvision'``, ``'mmpretrain'`` (mmseg's too)
    or ``'mmattn'`` (mmdet's too), from the key names."""
    state_dict = backbone_keys(state_dict)
    if any(k.startswith('features.1.conv.0.0.') for k in state_dict):
        return 'torchvision'
    if any(k.startswith('features.') for k in state_dict):
        return 'official_ca'
    if any(re.match(r'layer\d+\.\d+\.conv\.\d\.', k) for k in state_dict):
        return 'mmpretrain'
    return 'mmattn'


def convert_mobilenet_v2(state_dict: Dict[str, Tensor],
                         num_blocks: Sequence[int] = (1, 2, 3, 4, 3, 3, 1)
                         ) -> Dict[str, Tensor]:
    """Map a MobileNetV2 checkpoint of any known layout onto
    :class:`MobileNetV2`'s keys.

    Layouts (key examples for the stem, stage 2 block 0, the last conv):

    ============  ===========================================================
    official CA   ``features.0.0``, ``features.2.conv.0/3/6/7``, ``conv.0``,
                  ``classifier.1`` (``mbv2_ca.pth``; CA at ``conv.6``)
    torchvision   ``features.0.0``, ``features.2.conv.0.0/1.0/2``,
                  ``features.18.0``, ``classifier.1``
    mmpretrain    ``backbone.conv1.conv``, ``backbone.layer2.0.conv.0/1/2
                  .conv``, ``backbone.conv2.conv``, ``head.fc`` (mmseg's
                  MobileNetV2 has the same keys, without ``conv2``)
    mmattn, mmdet ``conv1.conv``, ``layer2.0.expand_conv/depthwise_conv/
                  linear_conv.conv``, ``conv2.conv``
    ============  ===========================================================

    The flat ``features.N`` layouts number the blocks through the network;
    ``num_blocks`` (per stage) maps them back. Whether a block expands is
    read off its keys. A whole-model checkpoint (``backbone.`` keys)
    contributes only its backbone; classifier keys are kept here and
    dropped by the loader.
    """
    state_dict = backbone_keys(state_dict)
    layout = detect_mobilenet_v2_format(state_dict)
    if layout == 'mmattn':
        return dict(state_dict)
    if layout == 'mmpretrain':
        blocks = {m.group(1) for k in state_dict
                  for m in [re.match(r'(layer\d+\.\d+)\.', k)] if m}
        tables = {b: (b, _MMPRETRAIN[f'{b}.conv.2.conv.weight' in state_dict])
                  for b in blocks}
        return rename_keys(state_dict,
                           [(r'^(layer\d+\.\d+)\.(.+)$', renamer(tables))])
    table, expands = {'torchvision': (_TORCHVISION, 'conv.3.weight'),
                      'official_ca': (_OFFICIAL_CA, 'conv.7.weight')}[layout]
    last = r'conv\.' if layout == 'official_ca' \
        else rf'features\.{sum(num_blocks) + 1}\.'
    rules = flat_layout_rules(
        num_blocks, lambda n: table[f'features.{n}.{expands}' in state_dict])
    return rename_keys(state_dict, rules + [
        (rf'^{last}0\.', 'conv2.conv.'), (rf'^{last}1\.', 'conv2.bn.')])
