"""Global multi-head self-attention with 2D relative positions (BoTNet).

Paper: Bottleneck Transformers for Visual Recognition, Srinivas et al. 2021,
https://arxiv.org/abs/2101.11605.
Official code consulted: the authors' TensorFlow gist linked from the paper,
https://gist.github.com/aravindsrinivas/56359b79f0ce4449bcb04ab4b56a57a2
(``relpos_self_attention``, ``relative_logits_1d``, ``rel_to_abs``), and
timm's port ``timm/layers/bottleneck_attn.py``.
"""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int, positive_pair
from .base import AttentionBlock, Paper


def relative_table(table: Tensor, length: int) -> Tensor:
    """Rows of a relative-offset ``table`` for a 1-D extent ``length``.

    ``table`` holds the embeddings of the offsets ``-(L-1) .. L-1`` of the
    extent L it was built for (2L-1 rows). The result holds those of
    ``-(length-1) .. length-1``: the centre rows when ``length <= L``, and
    beyond that the edge rows repeated, i.e. offsets are clipped to
    ``±(L-1)`` as in Shaw et al. 2018.
    """
    half = (table.shape[0] - 1) // 2
    offsets = torch.arange(2 * length - 1, device=table.device) - (length - 1)
    return table[offsets.clamp(-half, half) + half]


def relative_logits_1d(q: Tensor, table: Tensor) -> Tensor:
    """``out[..., x, x'] = q[..., x, :] · table[x' - x + X - 1]``.

    Args:
        q (Tensor): ``(B, Y, X, d)``.
        table (Tensor): ``(2X-1, d)``, the offsets ``-(X-1) .. X-1``.

    Returns:
        Tensor: ``(B, Y, X, X)``; ``B`` and ``Y`` are passed through.

    One matmul over the 2X-1 offsets, then the official ``rel_to_abs``
    shift (pad one column, flatten, pad X-1, read X rows of 2X-1) turns
    relative columns into absolute ones without a gather.
    """
    b, y, x, _ = q.shape
    logits = torch.matmul(q, table.transpose(0, 1)).flatten(0, 1)
    logits = F.pad(logits, (0, 1)).flatten(1)  # (BY, X·2X)
    logits = F.pad(logits, (0, x - 1)).view(b * y, x + 1, 2 * x - 1)
    return logits[:, :x, x - 1:].reshape(b, y, x, x)


@MODELS.register_module()
class MHSA(AttentionBlock):
    """BoTNet's multi-head self-attention over all H·W positions.

    ``q, k, v`` are 1×1 projections without bias (``qkv``); each head
    attends with logits ``q·k + q·r``, where ``r`` is the sum of a learned
    height-offset and width-offset embedding (``rel_height``,
    ``rel_width``), and both terms use the scaled query ``q / sqrt(d)``,
    as in the official ``relpos_self_attention`` (timm's default scales
    only the content term). The heads are concatenated, with no output
    projection: in BoTNet the bottleneck's following 1×1 conv plays that
    role.

    **Any H×W.** The embeddings are tables for offsets up to
    ``rel_pos_size - 1`` (the official gist hard-codes a 32×32 map). The
    relative logits are computed for the actual size: offsets within the
    table use their own rows, larger ones are clipped to the table's edge
    (:func:`relative_table`).

    **On SDPA without an HW×HW bias.** The relative term is separable,
    ``q·r[(y,x),(y',x')] = A[(y,x), y'] + B[(y,x), x']``, so it is folded
    into the dot product: queries get ``[q/sqrt(d), A, B]``, keys get
    ``[k, onehot(y'), onehot(x')]``, and SDPA with ``scale=1`` computes
    the exact logits without a position bias tensor; ``v`` is zero-padded
    to the same width so that the fused kernels apply, and they never hold
    the HW×HW matrix either.

    **As a conv replacement.** BoTNet replaces the 3×3 conv of the last
    three ResNet bottlenecks; with stride 2 the attention is followed by a
    2×2 average pool. The signature accepts a conv's arguments so that a
    host can build it in a conv's place, e.g. mmdet's ResNet through its
    ``dcn`` slot: ``dcn=dict(type='mmattn.MHSA', rel_pos_size=...),
    stage_with_dcn=(False, False, False, True)``. ``kernel_size``,
    ``padding`` and ``dilation`` describe the replaced conv; global
    attention has no kernel, so they do not change the result.

    Args:
        in_channels (int): Input channels.
        out_channels (int, optional): Output channels. Defaults to
            ``in_channels``.
        kernel_size (int, optional): Of the replaced conv; unused.
        stride (int): 1, or 2 for attention + 2×2 average pool. Defaults
            to 1.
        padding (int, optional): Of the replaced conv; unused.
        dilation (int, optional): Of the replaced conv; unused.
        bias (bool): Bias of the qkv projection. Defaults to False.
        heads (int): Attention heads. Defaults to 4 (BoTNet).
        rel_pos_size (int | tuple[int]): (H, W) the relative tables are
            built for. Defaults to 32 (the official gist).
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> mhsa = MHSA(64, heads=4, rel_pos_size=8)
        >>> mhsa(torch.randn(2, 64, 11, 6)).shape
        torch.Size([2, 64, 11, 6])
    """
    paper = Paper(
        title='Bottleneck Transformers for Visual Recognition',
        url='https://arxiv.org/abs/2101.11605',
        year=2021,
        family='self-attention',
        code='https://gist.github.com/aravindsrinivas/'
        '56359b79f0ce4449bcb04ab4b56a57a2',
        reported='MHSA in place of the 3×3 convs of the c5 blocks (BoT50) '
        'beats R50 in Mask R-CNN on COCO at every schedule of the paper '
        '(1024×1024); BoT200, 72 epochs: 49.7 box / 44.4 mask AP (val)')
    _abbr_ = 'mhsa'

    def __init__(self,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 kernel_size: Optional[int] = None,
                 stride: int = 1,
                 padding: Optional[int] = None,
                 dilation: Optional[int] = None,
                 bias: bool = False,
                 heads: int = 4,
                 rel_pos_size: Union[int, Sequence[int]] = 32,
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        out_channels = in_channels if out_channels is None else out_channels
        if positive_int(out_channels, 'out_channels') % positive_int(
                heads, 'heads'):
            raise ValueError(f'out_channels must be a multiple of '
                             f'heads={heads}, got {out_channels!r}')
        if positive_int(stride, 'stride') > 2:
            raise ValueError(f'stride must be 1 or 2, got {stride!r}')
        size = positive_pair(rel_pos_size, 'rel_pos_size')
        self.out_channels = out_channels
        self.heads, self.stride, self.rel_pos_size = heads, stride, size
        self.head_dim = out_channels // heads
        self.qkv = nn.Conv2d(in_channels, 3 * out_channels, 1, bias=bias)
        self.rel_height = nn.Parameter(torch.empty(2 * size[0] - 1,
                                                   self.head_dim))
        self.rel_width = nn.Parameter(torch.empty(2 * size[1] - 1,
                                                  self.head_dim))
        self.pool = nn.AvgPool2d(2) if stride == 2 else nn.Identity()
        self.reset_parameters()

    def reset_parameters(self):
        """Relative embeddings ~ N(0, 1 / d)."""
        # what the gist meant; its code passes d^-0.5 as the mean by mistake
        # and says so in a comment
        nn.init.normal_(self.rel_height, std=self.head_dim**-0.5)
        nn.init.normal_(self.rel_width, std=self.head_dim**-0.5)

    def forward(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        d, bh = self.head_dim, n * self.heads
        q, k, v = self.qkv(x).view(n, 3, self.heads, d, h * w).permute(
            1, 0, 2, 4, 3).reshape(3, bh, h * w, d).unbind(0)
        q = q * d**-0.5
        q2d = q.view(bh, h, w, d)
        rel_w = relative_logits_1d(q2d, relative_table(self.rel_width, w))
        rel_h = relative_logits_1d(
            q2d.transpose(1, 2), relative_table(self.rel_height, h))
        # keys' positions as one-hot rows: (y', x') -> [onehot(y'), onehot(x')]
        eye_h = torch.eye(h, dtype=k.dtype, device=k.device)
        eye_w = torch.eye(w, dtype=k.dtype, device=k.device)
        pos = torch.cat([eye_h[:, None, :].expand(h, w, h),
                         eye_w[None, :, :].expand(h, w, w)], dim=-1)
        q = torch.cat([q,
                       rel_h.transpose(1, 2).reshape(bh, h * w, h),
                       rel_w.reshape(bh, h * w, w)], dim=-1)
        k = torch.cat([k, pos.view(1, h * w, h + w).expand(bh, -1, -1)],
                      dim=-1)
        # the fused kernels want one width for q, k and v: zero-pad v
        v = F.pad(v, (0, h + w))
        out = F.scaled_dot_product_attention(
            q[:, None], k[:, None], v[:, None], scale=1.0)[:, 0, :, :d]
        out = out.reshape(n, self.heads, h, w, d).permute(0, 1, 4, 2, 3)
        return self.pool(out.reshape(n, self.out_channels, h, w))
