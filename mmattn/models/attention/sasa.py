"""Stand-alone local self-attention (SASA) in a k×k window.

Paper: Stand-Alone Self-Attention in Vision Models, Ramachandran et al. 2019,
https://arxiv.org/abs/1906.05909.
Official code: https://github.com/google-research/google-research/tree/
master/standalone_self_attention_in_vision_models holds only a README (no
code was released), so this follows the paper, Sec. 2.2-3.1.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int
from ._windows import aggregate, in_image, window_arguments, window_taps
from .base import AttentionBlock, Paper


@MODELS.register_module()
class SASA(AttentionBlock):
    """Local multi-head self-attention that stands in for a k×k conv.

    Each pixel ``ij`` attends to the k×k window around it:
    ``y_ij = Σ_ab softmax_ab(q_ijᵀ k_ab + q_ijᵀ r_{a-i,b-j}) v_ab``
    (paper Eq. 3), with ``q, k, v`` 1×1 projections and ``r`` the
    concatenation of a row-offset and a column-offset embedding, each half
    of a head's channels. The logits are not scaled by ``1/sqrt(d)``, as in
    the paper. Window positions outside the image are masked out of the
    softmax (the paper does not say how borders are treated), so a pixel
    attends only to real pixels, whatever the input size.

    **Heads and groups.** ``heads`` splits the output channels into
    independent attentions, each with its own embeddings. The paper's text
    gives head n its own slice of the input (per-head matrices of size
    d_in/N × d_out/N, i.e. projections grouped by head: ``groups=heads``),
    while its parameter counts match full 1×1 projections (``groups=1``),
    the default here.

    **As a conv replacement.** The signature is a conv's, so a host can
    build it wherever it builds a conv, e.g. mmdet's ResNet through its
    ``dcn`` slot, which replaces only the bottlenecks' 3×3 convs:
    ``dcn=dict(type='mmattn.SASA', window_size=7), stage_with_dcn=(True,
    True, True, True)``. Stride 2 is attention followed by a 2×2 average
    pool (paper Sec. 3.1); dilation spreads the window like a dilated conv.
    Such a host passes its own ``kernel_size=3``; ``window_size`` overrides
    it (the paper's best is 7). ``padding`` is accepted for that signature
    and not used: the window is always centred on its pixel.

    Args:
        in_channels (int): Input channels.
        out_channels (int, optional): Output channels. Defaults to
            ``in_channels``.
        kernel_size (int): Spatial extent k of the window, odd. Defaults to
            7.
        stride (int): 1, or 2 for attention + 2×2 average pool. Defaults
            to 1.
        padding (int, optional): Of the replaced conv; unused.
        dilation (int): Spacing of the window's taps. Defaults to 1.
        groups (int): Groups of the q/k/v projections; must divide
            ``heads``. Defaults to 1.
        bias (bool): Bias of the q/k/v projections. Defaults to False.
        heads (int): Attention heads; ``out_channels / heads`` must be
            even. Defaults to 8 (the paper's).
        window_size (int, optional): Overrides ``kernel_size``. Defaults to
            None.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> sasa = SASA(32, heads=4, kernel_size=5)
        >>> sasa(torch.randn(2, 32, 9, 14)).shape
        torch.Size([2, 32, 9, 14])
    """
    paper = Paper(
        title='Stand-Alone Self-Attention in Vision Models',
        url='https://arxiv.org/abs/1906.05909',
        year=2019,
        family='self-attention',
        code='https://github.com/google-research/google-research/tree/'
        'master/standalone_self_attention_in_vision_models (README only)',
        reported='RetinaNet on COCO: an attention backbone (conv stem) '
        'with attention FPN and heads matches the mAP of the ResNet-50 '
        'baseline with 39% fewer FLOPS and 34% fewer parameters')
    _abbr_ = 'sasa'

    def __init__(self,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 kernel_size: int = 7,
                 stride: int = 1,
                 padding: Optional[int] = None,
                 dilation: int = 1,
                 groups: int = 1,
                 bias: bool = False,
                 heads: int = 8,
                 window_size: Optional[int] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        out_channels = in_channels if out_channels is None else out_channels
        if positive_int(out_channels, 'out_channels') % (
                2 * positive_int(heads, 'heads')):
            raise ValueError(
                f'out_channels must be a multiple of 2 * heads = '
                f'{2 * heads} (row and column halves per head), '
                f'got {out_channels!r}')
        if heads % positive_int(groups, 'groups') or in_channels % groups:
            raise ValueError(f'groups must divide heads={heads} and '
                             f'in_channels={in_channels}, got {groups!r}')
        size, stride, dilation = window_arguments(kernel_size, window_size,
                                                  stride, dilation)
        self.out_channels = out_channels
        self.kernel_size, self.dilation, self.stride = size, dilation, stride
        self.heads, self.head_dim = heads, out_channels // heads
        self.query = nn.Conv2d(in_channels, out_channels, 1, groups=groups,
                               bias=bias)
        self.key = nn.Conv2d(in_channels, out_channels, 1, groups=groups,
                             bias=bias)
        self.value = nn.Conv2d(in_channels, out_channels, 1, groups=groups,
                               bias=bias)
        half = self.head_dim // 2
        self.rel_rows = nn.Parameter(torch.empty(heads, half, size, 1))
        self.rel_cols = nn.Parameter(torch.empty(heads, half, 1, size))
        self.pool = nn.AvgPool2d(2) if stride == 2 else nn.Identity()
        self.reset_parameters()

    def reset_parameters(self):
        """Relative embeddings ~ N(0, 1 / d)."""
        # The paper gives no init; this keeps q·r at the scale of q·k for
        # unit-variance inputs.
        nn.init.normal_(self.rel_rows, std=self.head_dim**-0.5)
        nn.init.normal_(self.rel_cols, std=self.head_dim**-0.5)

    def rel_embedding(self) -> Tensor:
        """``r``: (heads, d, k·k), rows then columns of the window."""
        k = self.kernel_size
        rows = self.rel_rows.expand(-1, -1, k, k)
        cols = self.rel_cols.expand(-1, -1, k, k)
        return torch.cat([rows, cols], dim=1).flatten(2)

    def forward(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        pad = self.dilation * (self.kernel_size // 2)
        window = dict(kernel_size=self.kernel_size, dilation=self.dilation)
        heads = (self.heads, self.head_dim)
        q = self.query(x).unflatten(1, heads)  # N×heads×d×H×W
        keys = F.pad(self.key(x), [pad] * 4).unflatten(1, heads)
        logits = torch.stack([
            (q * tap).sum(2)
            for tap in window_taps(keys, out_size=(h, w), **window)
        ], 2)  # N×heads×k²×H×W, tap by tap
        r = self.rel_embedding().to(q.dtype)  # (heads, d, k²)
        logits = logits + torch.matmul(r.transpose(1, 2),
                                       q.flatten(3)).unflatten(3, (h, w))
        inside = in_image(x, out_size=(h, w), **window)
        attn = logits.masked_fill(~inside, float('-inf')).softmax(dim=2)
        values = F.pad(self.value(x), [pad] * 4).unflatten(1, heads)
        out = aggregate(values, attn[:, :, None], **window)
        return self.pool(out.reshape(n, self.out_channels, h, w))
