"""Object-contextual representations (OCR) as a block.

Paper: Object-Contextual Representations for Semantic Segmentation, Yuan et
al. 2020 (ECCV), https://arxiv.org/abs/1909.11065.
Code consulted: https://github.com/HRNet/HRNet-Semantic-Segmentation (branch
HRNet-OCR, ``lib/models/seg_hrnet_ocr.py``) and mmseg's OCR
(``mmseg/models/decode_heads/ocr_head.py``: ``SpatialGatherModule``,
``ObjectAttentionBlock``), whose layout this block keeps.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int, reduced_channels
from ._sdpa import softmax_attention, tokens
from .base import AttentionBlock, Paper


@MODELS.register_module()
class OCR(AttentionBlock):
    """OCR: soft object regions, a pixel-region relation, and the augmented
    representation ``bottleneck([Σ_k w_ik δ(f_k), x_i])``.

    - Soft object regions: ``classifier`` (a 1×1 conv to ``num_classes``
      logits) gives, per class, a softmax over the positions; the region
      representations ``f_k`` are the input pooled with those weights
      (mmseg's ``SpatialGatherModule``, the paper's spatial softmax; the
      HRNet-OCR code at commit 16af8c9 normalises over the classes).
    - Pixel-region relation: ``w_ik = softmax_k(φ(x_i)ᵀ ψ(f_k) / √C')``
      with φ = ``query_project``, ψ = ``key_project`` (two conv-norm-act
      each) and the values δ = ``value_project``, on
      ``scaled_dot_product_attention``; the context goes through
      ``out_project`` and is concatenated with the input into
      ``bottleneck`` (mmseg's ``ObjectAttentionBlock``, ``scale=1``).

    In OCRNet the region logits are a separate head's, supervised by the
    ground truth (an auxiliary loss of weight 0.4); as a block the
    classifier is the block's own, learned through the block's output
    alone, and its class count is an argument. In
    :class:`~mmattn.AttentionHead` (``num_convs=1``, ``concat_input=False``)
    the block's modules are those of mmseg's ``OCRHead``
    (``object_context_block``) and give its output from the same region
    logits.

    Args:
        in_channels (int): Channels of the input (and output).
        num_classes (int): Soft object regions K. Defaults to 19 (mmseg's
            OCRNet base, Cityscapes).
        reduction (int): Key/query width ``C' = in_channels // reduction``.
            Defaults to 2 (512 -> 256 in OCRNet).
        norm_cfg (dict): Norm of the conv modules. Defaults to
            ``dict(type='BN')``.
        act_cfg (dict): Activation of the conv modules. Defaults to
            ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> ocr = OCR(32, num_classes=5).eval()
        >>> ocr(torch.randn(2, 32, 9, 7)).shape
        torch.Size([2, 32, 9, 7])
    """
    paper = Paper(
        title='Object-Contextual Representations for Semantic '
        'Segmentation',
        url='https://arxiv.org/abs/1909.11065',
        year=2020,
        family='self-attention',
        code='https://github.com/HRNet/HRNet-Semantic-Segmentation')
    _abbr_ = 'ocr'

    def __init__(self,
                 in_channels: int,
                 num_classes: int = 19,
                 reduction: int = 2,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        self.num_classes = positive_int(num_classes, 'num_classes')
        self.channels = channels = reduced_channels(
            in_channels, positive_int(reduction, 'reduction'))

        def conv(cin, cout):
            return ConvModule(cin, cout, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)

        self.classifier = nn.Conv2d(in_channels, num_classes, 1)
        self.query_project = nn.Sequential(
            conv(in_channels, channels), conv(channels, channels))
        self.key_project = nn.Sequential(
            conv(in_channels, channels), conv(channels, channels))
        self.value_project = conv(in_channels, channels)
        self.out_project = conv(channels, in_channels)
        self.bottleneck = conv(2 * in_channels, in_channels)

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        probs = self.classifier(x).flatten(2).softmax(-1)  # N×K×HW
        regions = (probs @ tokens(x)).transpose(1, 2)[..., None]  # N×C×K×1
        context = softmax_attention(
            tokens(self.query_project(x)), tokens(self.key_project(regions)),
            tokens(self.value_project(regions)), self.channels**-0.5)
        context = context.transpose(1, 2).reshape(n, self.channels, h, w)
        return self.bottleneck(torch.cat([self.out_project(context), x], 1))
