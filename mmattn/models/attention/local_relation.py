"""Local relation layer of LR-Net, in pure PyTorch.

Paper: Local Relation Networks for Image Recognition, Hu et al. 2019,
https://arxiv.org/abs/1904.11491.
Code consulted: the authors' local relation op in
https://github.com/microsoft/Swin-Transformer (LR-Net branch,
``ops/local_relation``: ``local_relation_func.py`` and the CUDA kernel,
which takes the geometry prior as a G×k×k tensor). The network that computes
that prior and the LR-Net models were not found; they follow the paper.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int
from ._windows import aggregate, in_image, window_arguments, windows
from .base import AttentionBlock, Paper

COMPOSABILITIES = ('dot_product', 'squared_difference')


@MODELS.register_module()
class LocalRelation(AttentionBlock):
    """Local relation layer:
    ``y_g(i) = Σ_{j ∈ R(i)} softmax_j(Φ(q_g(i), k_g(j)) + θ_g(j - i))
    x_g(j)`` over the k×k window R(i), for each group g of
    ``share_planes`` channels.

    - Appearance composability Φ between the 1×1-conv query and key maps
      ``query``, ``key`` (one channel per group): ``q · k``
      (``'dot_product'``, the official op's default ``sim_method=0``) or
      ``-(q - k)²`` (``'squared_difference'``, its ``sim_method=5``).
    - Geometry prior θ: a two-layer network (1×1 conv, ReLU, 1×1 conv;
      ``geometry``) from the k×k relative offsets ``j - i`` to one k×k
      prior per group, the same at every pixel. Its hidden width is the
      number of groups (no official code for it was found).
    - The values are the input itself (no projection), so the output has
      the input's channels; LR-Net puts the layer between the 1×1 convs of
      a bottleneck in place of its k×k conv.

    Taps outside the image are left out of the softmax and of the sum, as
    in the official kernel (which gives them a logit of -100 and skips
    their values).

    The signature is a conv's, so a host builds it wherever it builds a
    conv, e.g. in place of mmdet ResNet's 3×3 convs through its ``dcn``
    slot: ``dcn=dict(type='mmattn.LocalRelation', window_size=7)``. Such a
    host passes its own ``kernel_size=3``; ``window_size`` overrides it.
    ``padding`` is accepted for that signature and not used. Stride 2
    evaluates the windows around every other pixel, as the official op.

    Args:
        in_channels (int): Input (and output) channels.
        out_channels (int, optional): Must equal ``in_channels`` if given.
            Defaults to None.
        kernel_size (int): Window size k, odd. Defaults to 7 (the paper's
            best).
        stride (int): 1 or 2. Defaults to 1.
        padding (int, optional): Of the replaced conv; unused.
        dilation (int): Spacing of the window's taps. Defaults to 1.
        bias (bool): Bias of the query and key convs. Defaults to True.
        window_size (int, optional): Overrides ``kernel_size``. Defaults
            to None.
        share_planes (int): Channels m sharing one aggregation (the paper's
            channel sharing); must divide ``in_channels``. Defaults to 8.
        composability (str): ``'dot_product'`` or
            ``'squared_difference'``. Defaults to ``'dot_product'``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> lr = LocalRelation(32, kernel_size=5)
        >>> lr(torch.randn(2, 32, 9, 6)).shape
        torch.Size([2, 32, 9, 6])
    """
    paper = Paper(
        title='Local Relation Networks for Image Recognition',
        url='https://arxiv.org/abs/1904.11491',
        year=2019,
        family='self-attention',
        code='https://github.com/microsoft/Swin-Transformer (LR-Net '
        'branch, ops/local_relation)')
    _abbr_ = 'local_relation'

    def __init__(self,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 kernel_size: int = 7,
                 stride: int = 1,
                 padding: Optional[int] = None,
                 dilation: int = 1,
                 bias: bool = True,
                 window_size: Optional[int] = None,
                 share_planes: int = 8,
                 composability: str = 'dot_product',
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        if out_channels not in (None, in_channels):
            raise ValueError(f'out_channels must equal in_channels='
                             f'{in_channels} (the layer aggregates its '
                             f'input), got {out_channels!r}')
        self.kernel_size, self.stride, self.dilation = window_arguments(
            kernel_size, window_size, stride, dilation)
        positive_int(share_planes, 'share_planes')
        if in_channels % share_planes:
            raise ValueError(f'share_planes={share_planes} must divide '
                             f'in_channels={in_channels}')
        if composability not in COMPOSABILITIES:
            raise ValueError(f'composability must be one of '
                             f'{COMPOSABILITIES}, got {composability!r}')
        self.composability = composability
        self.groups = groups = in_channels // share_planes
        self.query = nn.Conv2d(in_channels, groups, 1, bias=bias)
        self.key = nn.Conv2d(in_channels, groups, 1, bias=bias)
        self.geometry = nn.Sequential(
            nn.Conv2d(2, groups, 1), nn.ReLU(inplace=True),
            nn.Conv2d(groups, groups, 1))
        half = self.kernel_size // 2
        offsets = torch.arange(-half, half + 1, dtype=torch.float32)
        self.register_buffer(
            'offsets',
            torch.stack(torch.meshgrid(offsets, offsets, indexing='ij'))[None],
            persistent=False)  # 1×2×k×k: (row, column) of each tap

    def geometry_prior(self) -> Tensor:
        """θ: groups×k² logits, one per group and tap."""
        return self.geometry(self.offsets).flatten(2)[0]

    def forward(self, x: Tensor) -> Tensor:
        n, c = x.shape[:2]
        pad = self.dilation * (self.kernel_size // 2)
        window = dict(
            kernel_size=self.kernel_size,
            stride=self.stride,
            dilation=self.dilation)
        query = self.query(x)[..., ::self.stride, ::self.stride]
        out_size = query.shape[-2:]
        keys = windows(F.pad(self.key(x), [pad] * 4), out_size=out_size,
                       **window)  # N×G×k²×H'×W'
        query = query[:, :, None]
        if self.composability == 'dot_product':
            logits = query * keys
        else:
            logits = -(query - keys)**2
        prior = self.geometry_prior().to(logits.dtype)  # G×k²
        logits = logits + prior[..., None, None]
        inside = in_image(x, out_size=out_size, **window)
        weights = logits.masked_fill(~inside, float('-inf')).softmax(dim=2)
        values = F.pad(x, [pad] * 4).unflatten(1, (self.groups, -1))
        out = aggregate(values, weights[:, :, None], **window)
        return out.reshape(n, c, *out_size)
