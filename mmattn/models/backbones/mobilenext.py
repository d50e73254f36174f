"""MobileNeXt, the sandglass-block network, with an attention block inside
every sandglass block.

Papers: Rethinking Bottleneck Structure for Efficient Mobile Network Design,
Zhou et al., ECCV 2020, https://arxiv.org/abs/2007.02269; Coordinate
Attention for Efficient Mobile Network Design, Hou et al., CVPR 2021,
https://arxiv.org/abs/2103.02907 (Fig. 3(b): where the attention goes).
Official code consulted: https://github.com/yitu-opensource/MobileNeXt
(``mobilenext/codebase/models/mnext.py``) and the detection code of the same
authors, https://github.com/Andrew-Qibin/ssdlite-pytorch-mobilenext
(``ssd/modeling/backbone/mobilenext.py``).
"""
import math
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmattn.checkpoint import rename_keys
from mmattn.registry import MODELS
from ..attention.base import Paper
from ..utils import make_divisible
from ._mobile import (MobileBackbone, backbone_keys, build_attention,
                      flat_layout_rules)

__all__ = ['MobileNeXt', 'SandGlass', 'convert_mobilenext']

#: The settings table of ``mnext.py`` (t, c, n, s per stage).
MOBILENEXT = dict(
    expand_ratios=[2, 6, 6, 6, 6, 6, 6, 6],
    channels=[96, 144, 192, 288, 384, 576, 960, 1280],
    num_blocks=[1, 1, 3, 3, 4, 4, 3, 1],
    strides=[2, 1, 2, 2, 1, 2, 1, 1])


class SandGlass(BaseModule):
    """MobileNeXt's sandglass block, with an attention slot.

    ``depthwise_conv1`` (3×3, norm, act) → ``attention`` → ``reduce_conv``
    (1×1 to ``hidden_channels``, norm, linear) → ``expand_conv`` (1×1,
    norm, act) → ``depthwise_conv2`` (3×3 with the block's stride, norm,
    linear), plus the input on the first ``identity_channels`` channels.
    The official network drops either depthwise conv in some blocks (see
    :class:`MobileNeXt`); without ``depthwise_conv1`` there is no
    attention. The attention position is the CA paper's Fig. 3(b).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        hidden_channels (int): Width between the two 1×1 convs.
        stride (int): Stride of ``depthwise_conv2``. Defaults to 1.
        dilation (int): Dilation of both depthwise convs. Defaults to 1.
        first_depthwise (bool): Build ``depthwise_conv1``. Defaults to True.
        last_depthwise (bool): Build ``depthwise_conv2``. Defaults to True.
        identity_channels (int): Channels the shortcut adds the input to;
            0 for no shortcut. Defaults to 0.
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
                 hidden_channels: int,
                 stride: int = 1,
                 dilation: int = 1,
                 first_depthwise: bool = True,
                 last_depthwise: bool = True,
                 identity_channels: int = 0,
                 attention: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 init_cfg=None):
        super().__init__(init_cfg)

        def conv(cin, cout, k=1, stride=1, act=True):
            dw = dict(groups=cin, padding=dilation, dilation=dilation) \
                if k == 3 else {}
            return ConvModule(cin, cout, k, stride=stride, norm_cfg=norm_cfg,
                              act_cfg=act_cfg if act else None, **dw)

        self.depthwise_conv1 = conv(in_channels, in_channels, 3) \
            if first_depthwise else nn.Identity()
        self.attention = build_attention(
            attention if first_depthwise else None, in_channels)
        self.reduce_conv = conv(in_channels, hidden_channels, act=False)
        self.expand_conv = conv(hidden_channels, out_channels)
        self.depthwise_conv2 = conv(out_channels, out_channels, 3, stride,
                                    act=False) \
            if last_depthwise else nn.Identity()
        self.identity_channels = identity_channels
        self.out_channels = out_channels

    def forward(self, x: Tensor) -> Tensor:
        out = self.attention(self.depthwise_conv1(x))
        out = self.depthwise_conv2(self.expand_conv(self.reduce_conv(out)))
        k = self.identity_channels
        if k == 0:
            return out
        if k == self.out_channels:
            return out + x
        return torch.cat([out[:, :k] + x[:, :k], out[:, k:]], 1)


@MODELS.register_module()
class MobileNeXt(MobileBackbone):
    """MobileNeXt backbone that takes any attention block.

    The official ``mnext.py`` network (its settings table as
    ``arch='mobilenext'``): ``conv1`` (3×3, stride 2, 32 channels) and
    eight stages ``layer1`` ... ``layer8`` of :class:`SandGlass` blocks;
    the last stage's 1280 channels feed the classifier directly. As in the
    official code, a block's hidden width is ``in_channels //
    expand_ratio``, raised to ``ceil(out_channels / 6)`` rounded to a
    multiple of 16 when smaller, and its structure depends on where it is:

    - ``expand_ratio=2`` (the first stage): both depthwise convs;
    - the first block of a stage that changes the width: no
      ``depthwise_conv1``, and no ``depthwise_conv2`` unless the arch's
      stride is 2, except in single-block stride-1 stages, which keep both
      (but no shortcut);
    - other blocks: both, and the shortcut.

    The structure follows the arch's strides, so that ``strides`` and
    ``dilations`` change the convs, not the weights: the DeepLab settings
    of :class:`MobileNetV2` work here too. The official code has a full
    shortcut (``identity_div = 1``); ``identity_tensor_multiplier`` is the
    paper's identity tensor multiplier (the share of channels the shortcut
    adds to).

    ``attention`` goes after ``depthwise_conv1``, at the input width, as in
    the CA paper's Fig. 3(b) and its code's advice ("adding the attention
    block after the first depthwise 3x3 convolution works better"); blocks
    without ``depthwise_conv1`` have none. (The CA repository's table gives
    MobileNeXt + CA 4.09M parameters, which is the count with CA after the
    *last* depthwise conv; this placement counts 3.97M. No MobileNeXt + CA
    code is published.)

    Pretrained weights load from the official layout (``features.N.conv.M``,
    ``classifier``); see :func:`convert_mobilenext`.

    Args:
        arch (str | dict): ``'mobilenext'`` or a dict of per-stage
            ``expand_ratios``, ``channels``, ``num_blocks`` and ``strides``.
            Defaults to ``'mobilenext'``.
        widen_factor (float): Width multiplier; the last stage keeps 1280
            channels below 1, as in the official code. Defaults to 1.0.
        identity_tensor_multiplier (float): Share of the channels the
            shortcuts add the input to, in (0, 1]. Defaults to 1.0.
        strides, dilations, attention, attention_stages, out_indices,
            frozen_stages, norm_eval, norm_cfg, act_cfg, init_cfg: As for
            :class:`MobileNetV2`, with 8 stages (``out_indices`` 0-7, and
            (1, 2, 4, 7) by default: strides 4, 8, 16, 32).

    Example:
        >>> import torch
        >>> from mmattn.models.backbones import MobileNeXt
        >>> model = MobileNeXt(
        ...     attention=dict(type='mmattn.CoordAttention')).eval()
        >>> for out in model(torch.rand(1, 3, 224, 224)):
        ...     print(tuple(out.shape))
        (1, 144, 56, 56)
        (1, 192, 28, 28)
        (1, 384, 14, 14)
        (1, 1280, 7, 7)
    """
    paper = Paper(
        title='Rethinking Bottleneck Structure for Efficient Mobile Network '
        'Design',
        url='https://arxiv.org/abs/2007.02269',
        year=2020,
        family=None,
        code='https://github.com/yitu-opensource/MobileNeXt')
    arch_zoo = {'mobilenext': MOBILENEXT}
    classifier_keys = (r'^classifier\.', )

    def __init__(self, arch='mobilenext', widen_factor=1.,
                 identity_tensor_multiplier: float = 1., **kwargs):
        if isinstance(identity_tensor_multiplier, bool) or not isinstance(
                identity_tensor_multiplier, (int, float)) or \
                not 0 < identity_tensor_multiplier <= 1:
            raise ValueError(f'identity_tensor_multiplier must be in (0, 1], '
                             f'got {identity_tensor_multiplier!r}')
        self.identity_tensor_multiplier = identity_tensor_multiplier
        super().__init__(arch, widen_factor, **kwargs)
        self._freeze_stages()

    def stage_channels(self, i: int) -> int:
        channels = self.arch_settings['channels'][i]
        if channels == 1280 and self.widen_factor < 1:
            return 1280
        return super().stage_channels(i)

    def make_block(self, stage, index, in_channels, out_channels, stride,
                   dilation, attention):
        settings = self.arch_settings
        expand_ratio = settings['expand_ratios'][stage]
        arch_stride = settings['strides'][stage] if index == 0 else 1
        single = index == 0 and settings['num_blocks'][stage] == 1 \
            and arch_stride == 1
        hidden = in_channels // expand_ratio
        if hidden < out_channels / 6:
            hidden = make_divisible(math.ceil(out_channels / 6), 16)
        shortcut = False
        if expand_ratio == 2 or single:
            first, last = True, True
        elif in_channels != out_channels:
            first, last = False, arch_stride == 2
        else:
            first, last = True, True
            shortcut = arch_stride == 1
        if stride != 1 and not last:
            raise ValueError(
                f'strides[{stage}]={stride}: the first block of stage '
                f'{stage} has no depthwise conv to stride with (the arch\'s '
                f'stride there is 1)')
        identity = round(out_channels * self.identity_tensor_multiplier) \
            if shortcut else 0
        return SandGlass(in_channels, out_channels, hidden, stride, dilation,
                         first, last, identity, attention, self.norm_cfg,
                         self.act_cfg)

    def convert_state_dict(self, state_dict):
        return convert_mobilenext(state_dict, self.arch_settings['num_blocks'])


# The official SGBlock numbers every layer of its Sequential, activations
# too; its three forms are told apart by their last index.
_OFFICIAL = {
    9: {'conv.0.': 'depthwise_conv1.conv.', 'conv.1.': 'depthwise_conv1.bn.',
        'conv.3.': 'reduce_conv.conv.', 'conv.4.': 'reduce_conv.bn.',
        'conv.5.': 'expand_conv.conv.', 'conv.6.': 'expand_conv.bn.',
        'conv.8.': 'depthwise_conv2.conv.', 'conv.9.': 'depthwise_conv2.bn.'},
    6: {'conv.0.': 'reduce_conv.conv.', 'conv.1.': 'reduce_conv.bn.',
        'conv.2.': 'expand_conv.conv.', 'conv.3.': 'expand_conv.bn.',
        'conv.5.': 'depthwise_conv2.conv.', 'conv.6.': 'depthwise_conv2.bn.'},
    3: {'conv.0.': 'reduce_conv.conv.', 'conv.1.': 'reduce_conv.bn.',
        'conv.2.': 'expand_conv.conv.', 'conv.3.': 'expand_conv.bn.'},
}


def convert_mobilenext(state_dict: Dict[str, Tensor],
                       num_blocks: Sequence[int] = (1, 1, 3, 3, 4, 4, 3, 1)
                       ) -> Dict[str, Tensor]:
    """Map an official MobileNeXt checkpoint (``features.0.0`` stem,
    ``features.N.conv.M`` blocks, ``classifier.1``; bare, under
    ``state_dict`` or ``module.``) onto :class:`MobileNeXt`'s keys.

    ``num_blocks`` (per stage) maps the flat block numbers back to stages.
    Keys already in mmattn's layout (or under ``backbone.``) pass through;
    the classifier is kept here and dropped by the loader.
    """
    state_dict = backbone_keys(state_dict)
    if not any(k.startswith('features.') for k in state_dict):
        return state_dict

    def block_table(n):
        form = next((i for i in _OFFICIAL
                     if f'features.{n}.conv.{i}.weight' in state_dict), 3)
        return _OFFICIAL[form]

    return rename_keys(state_dict, flat_layout_rules(num_blocks, block_table))
