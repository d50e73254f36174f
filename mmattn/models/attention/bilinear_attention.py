"""Bilinear (second-order) attention, the Bi-attention block of BAT-net.

Paper: `Bilinear Attention Networks for Person Retrieval`, Fang et al.,
ICCV 2019,
https://openaccess.thecvf.com/content_ICCV_2019/html/Fang_Bilinear_Attention_Networks_for_Person_Retrieval_ICCV_2019_paper.html
(the "bilinear attention" row of Guo et al.'s survey, arXiv:2111.07624).

Official code:
https://github.com/PengfeiFANGanu/Attention-in-Attention-Networks
(``models/bilinear_baseline_AIA.py``: ``BilinearAttention``).
"""
import torch
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import nn

from mmattn.registry import MODELS
from ..utils import reduced_channels
from ._gates import check_pooled_batch, global_avg_pool
from .base import AttentionBlock, Paper


def _conv_norm_act(in_channels, out_channels, norm_cfg, act_cfg):
    """1×1 conv *with* bias + norm + act: the official ``ConvBlock``."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1),
        build_norm_layer(norm_cfg, out_channels)[1],
        build_activation_layer(act_cfg))


@MODELS.register_module()
class BilinearAttention(AttentionBlock):
    """Bi-attention: per-position bilinear pooling, an inner channel
    attention on it, and an outer point-wise sigmoid gate.

    As the official ``BilinearAttention``: ``phi`` (1×1 conv + BN + ReLU)
    reduces C to m = C/16 channels; at every position the outer product of
    the m-vector keeps its m(m+1)/2 distinct entries (ordered by diagonal,
    as the official ``torch.diagonal`` loop); the inner channel attention
    multiplies an embedding of this map (1×1 conv + BN + ReLU to C) by an
    embedding of its global average (1×1 conv + BN + ReLU to C); the sigmoid
    of the product gates the input point-wise.

    Cost grows with m^2: both embeddings read the m(m+1)/2 products. The BN
    of the pooled branch sees N×C pooled vectors, as in the official code,
    so it cannot train at batch 1; a GN through ``norm_cfg`` can.

    Args:
        in_channels (int): Channels of the input.
        ratio (float | int): m as a fraction (or divisor) of
            ``in_channels``. Defaults to 1/16 (the official ``// 16``).
        norm_cfg (dict): Norm of the three embeddings.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation of the three embeddings.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Example:
        >>> import torch
        >>> block = BilinearAttention(64)
        >>> block(torch.rand(2, 64, 7, 9)).shape
        torch.Size([2, 64, 7, 9])
    """
    paper = Paper(
        title='Bilinear Attention Networks for Person Retrieval',
        url='https://openaccess.thecvf.com/content_ICCV_2019/html/'
        'Fang_Bilinear_Attention_Networks_for_Person_Retrieval_ICCV_2019_'
        'paper.html',
        year=2019,
        family='channel',
        code='https://github.com/PengfeiFANGanu/'
        'Attention-in-Attention-Networks')
    _abbr_ = 'bilinear'

    def __init__(self,
                 in_channels,
                 ratio=1 / 16,
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        m = reduced_channels(in_channels, ratio)
        rows = [d + t for d in range(m) for t in range(m - d)]
        cols = [t for d in range(m) for t in range(m - d)]
        self.register_buffer('rows', torch.tensor(rows), persistent=False)
        self.register_buffer('cols', torch.tensor(cols), persistent=False)
        self.reduce = _conv_norm_act(in_channels, m, norm_cfg, act_cfg)
        self.embed = _conv_norm_act(len(rows), in_channels, norm_cfg, act_cfg)
        self.channel = _conv_norm_act(len(rows), in_channels, norm_cfg,
                                      act_cfg)

    def forward(self, x):
        check_pooled_batch(self, self.channel[1], x)
        y = self.reduce(x)
        bilinear = y[:, self.rows] * y[:, self.cols]  # N×m(m+1)/2×H×W
        att = self.embed(bilinear) * self.channel(global_avg_pool(bilinear))
        return x * att.sigmoid()
