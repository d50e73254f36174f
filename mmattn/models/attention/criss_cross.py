"""Criss-cross attention of CCNet, in O(HW·(H+W)) memory.

Paper: CCNet: Criss-Cross Attention for Semantic Segmentation, Huang et al.
2019, https://arxiv.org/abs/1811.11721.
Code consulted: https://github.com/speedinghzl/CCNet (``cc_attention``) and
mmcv's ``CrissCrossAttention`` (``mmcv/ops/cc_attention.py``, pure PyTorch
since mmcv 1.3.13), whose layout this block keeps.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import Scale
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int
from .base import AttentionBlock, Paper


@MODELS.register_module()
class CrissCross(AttentionBlock):
    """Recurrent criss-cross attention (RCCA): ``recurrence`` passes of
    ``x + γ · Σ_{j ∈ cross(i)} softmax_j(q_i·k_j) v_j`` with shared weights.

    Each position attends to the H + W - 1 positions of its row and column;
    the centre is counted once (mmcv and the official code mask it out of
    the column with -inf, here it is masked the same way). Two passes
    (the paper's R = 2) reach every position.

    The joint softmax over row and column is computed without concatenating
    them: the row (N×H×W×W) and column (N×W×H×H) logits are exponentiated
    in place against a shared maximum and multiplied with the values by
    ``matmul`` (no einsum, so it exports to ONNX); the sum is normalised
    once at the end. Memory is O(HW·(H+W)) plus the C-channel maps, and no
    HW×HW tensor exists. Against mmcv's einsum version this avoids the
    concatenated and softmaxed copies of the logits and every transposed
    copy of the values (see :meth:`criss_cross`).

    Names and layout are mmcv's ``CrissCrossAttention`` (``query_conv``,
    ``key_conv``, ``value_conv``, ``gamma.scale``). mmseg's ``CCHead`` runs
    that module ``recurrence`` times; here the loop is inside the block, so an
    :class:`~mmattn.AttentionHead` hosting it should use ``recurrence=1``
    (or ``CrissCross(recurrence=1)`` and let the head loop).

    γ starts at 0, so the block starts as the identity.

    Args:
        in_channels (int): Channels of the input.
        reduction (int): Query/key width ``in_channels // reduction``.
            Defaults to 8 (mmcv, official).
        recurrence (int): Passes R with shared weights. Defaults to 2.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> cc = CrissCross(32)
        >>> cc(torch.randn(2, 32, 9, 6)).shape
        torch.Size([2, 32, 9, 6])
    """
    paper = Paper(
        title='CCNet: Criss-Cross Attention for Semantic Segmentation',
        url='https://arxiv.org/abs/1811.11721',
        year=2019,
        family='self-attention',
        code='https://github.com/speedinghzl/CCNet',
        reported='Cityscapes val, dilated ResNet-101: baseline 75.1 -> '
        'RCCA R=2 79.8 mIoU')
    identity_at_init = True
    _abbr_ = 'criss_cross_attention'

    def __init__(self,
                 in_channels: int,
                 reduction: int = 8,
                 recurrence: int = 2,
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        if positive_int(reduction, 'reduction') > in_channels:
            raise ValueError(f'reduction must be at most in_channels='
                             f'{in_channels}, got {reduction!r}')
        self.recurrence = positive_int(recurrence, 'recurrence')
        qk_channels = in_channels // reduction
        self.query_conv = nn.Conv2d(in_channels, qk_channels, 1)
        self.key_conv = nn.Conv2d(in_channels, qk_channels, 1)
        self.value_conv = nn.Conv2d(in_channels, in_channels, 1)
        self.gamma = Scale(0.)
        self.chunks = 8

    def reset_parameters(self):
        """γ at zero: the block starts as the identity."""
        nn.init.zeros_(self.gamma.scale)

    def forward(self, x: Tensor) -> Tensor:
        for _ in range(self.recurrence):
            x = torch.addcmul(x, self.criss_cross(x), self.gamma.scale)
        return x

    def criss_cross(self, x: Tensor) -> Tensor:
        """One pass without γ and the residual: N×C×H×W -> N×C×H×W.

        Works on N×H×W×C tokens: the projections are one matmul on them,
        and every product below is then a batched matmul over rows or
        columns whose operands BLAS reads in place (strided), with no
        transposed copies of the C-channel values. The column term is
        accumulated into the row term in ``self.chunks`` (8) slices of
        columns, so it never holds a second full-size output. Under
        ``torch.compile`` it is one slice: inductor plans the buffers
        itself, and each slice would be a kernel of its own.
        """
        n, c, h, w = x.shape
        convs = (self.query_conv, self.key_conv, self.value_conv)
        qkv = F.linear(x.permute(0, 2, 3, 1),
                       torch.cat([m.weight.flatten(1) for m in convs]),
                       torch.cat([m.bias for m in convs]))
        q, k, v = qkv.split([self.query_conv.out_channels] * 2 + [c], -1)
        row = q @ k.transpose(-1, -2)  # [n, h, w, j] = q_hw · k_hj
        col = q.transpose(1, 2) @ k.permute(0, 2, 3, 1)  # [n, w, h, i]
        # the centre mask (a boolean eye would not run in onnxruntime)
        index = torch.arange(h, device=x.device)
        centre = index[:, None] == index
        col = col.masked_fill_(centre, float('-inf'))
        with torch.no_grad():  # any shift is exact; this one avoids overflow
            shift = torch.maximum(row.amax(-1), col.amax(-1).transpose(1, 2))
        row = row.sub_(shift.unsqueeze(-1)).exp_()
        col = col.sub_(shift.transpose(1, 2).unsqueeze(-1)).exp_()
        total = row.sum(-1) + col.sum(-1).transpose(1, 2)  # n, h, w
        out = row @ v  # [n, h, w, :] = Σ_j row[n, h, w, j] v[n, h, j, :]
        chunks = 1 if torch.compiler.is_compiling() else self.chunks
        step = -(-w // chunks)
        for s in range(0, w, step):  # += Σ_i col[n, w, h, i] v[n, i, w, :]
            part = col[:, s:s + step] @ v[:, :, s:s + step].transpose(1, 2)
            out[:, :, s:s + step] += part.transpose(1, 2)
        return out.div_(total.unsqueeze(-1)).permute(0, 3, 1, 2)
