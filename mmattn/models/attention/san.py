"""Pairwise and patchwise self-attention of SAN, in pure PyTorch.

Paper: Exploring Self-attention for Image Recognition, Zhao et al. 2020,
https://arxiv.org/abs/2004.13621.
Code consulted: https://github.com/hszhao/SAN (``model/san.py``, ``SAM``;
the CUDA kernels of ``lib/sa/functions``: ``subtraction_refpad``,
``subtraction2_refpad``, ``aggregation_refpad``), whose layout and names
these blocks keep.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int
from ._windows import aggregate, reflect_pad, window_arguments, windows
from .base import AttentionBlock, Paper

PAPER = Paper(
    title='Exploring Self-attention for Image Recognition',
    url='https://arxiv.org/abs/2004.13621',
    year=2020,
    family='self-attention',
    code='https://github.com/hszhao/SAN',
    reported='ImageNet only (official README; no dense-prediction '
    'result): SAN10 / SAN15 / SAN19 top-1 74.9 / 76.6 / 76.9 (pairwise), '
    '77.1 / 78.0 / 78.2 (patchwise) vs ResNet26 / 38 / 50 73.6 / 76.0 / 76.9')


def position(height: int, width: int, like: Tensor) -> Tensor:
    """SAN's 1×2×H×W map of pixel coordinates, ``linspace(-1, 1)``: x then
    y (written with ``arange``, which exports to ONNX in float32)."""

    def coords(size):
        step = 2. / (size - 1) if size > 1 else 0.
        return torch.arange(
            size, device=like.device, dtype=like.dtype) * step - 1.

    x, y = coords(width), coords(height)
    return torch.stack(
        [x.expand(height, width), y[:, None].expand(height, width)])[None]


class _SelfAttention(AttentionBlock):
    """SAN's self-attention operator ``SAM``, either variant:
    ``y_i = Σ_{j ∈ R(i)} α(x_i, x_j) ⊙ β(x_j)`` over the k×k window R(i).

    ``β`` is the 1×1 conv ``conv3``; the weights α have ``out_channels /
    share_planes`` channels, and output channel c uses weight channel
    ``c mod (out_channels / share_planes)`` (the official aggregation
    kernel's layout). Windows are reflection-padded, as the official
    ``*_refpad`` kernels, extended to maps smaller than the window
    (:func:`~mmattn.models.attention._windows.reflect_pad`). The sum runs
    tap by tap on views of the padded values
    (:func:`~mmattn.models.attention._windows.aggregate`), so the block
    holds O(H·W·k²·(C / share_planes + C / rel_reduction)) numbers, never
    O(H·W·k²·C).

    Stride 2 evaluates the windows around every other pixel, as the
    official kernels do with ``stride=2``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 kernel_size: int = 7,
                 stride: int = 1,
                 padding: Optional[int] = None,
                 dilation: int = 1,
                 bias: bool = True,
                 window_size: Optional[int] = None,
                 rel_reduction: int = 16,
                 share_planes: int = 8,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        out_channels = in_channels if out_channels is None else out_channels
        self.out_channels = positive_int(out_channels, 'out_channels')
        self.kernel_size, self.stride, self.dilation = window_arguments(
            kernel_size, window_size, stride, dilation)
        positive_int(share_planes, 'share_planes')
        if out_channels % share_planes:
            raise ValueError(f'share_planes={share_planes} must divide '
                             f'out_channels={out_channels}')
        self.rel_channels = in_channels // positive_int(
            rel_reduction, 'rel_reduction')
        if self.rel_channels < 1:
            raise ValueError(f'rel_reduction={rel_reduction} leaves no '
                             f'channels of in_channels={in_channels}')
        self.weight_channels = out_channels // share_planes
        self.conv1 = nn.Conv2d(in_channels, self.rel_channels, 1, bias=bias)
        self.conv2 = nn.Conv2d(in_channels, self.rel_channels, 1, bias=bias)
        self.conv3 = nn.Conv2d(in_channels, out_channels, 1, bias=bias)
        self.conv_w = self.weight_net(norm_cfg)

    def weight_net(self, norm_cfg: dict) -> nn.Sequential:
        """The MLP γ that maps relations to weights."""
        raise NotImplementedError

    def attention(self, x: Tensor, query: Tensor, key: Tensor) -> Tensor:
        """The weights α, N×(C / share_planes)×k²×H'×W', from the input,
        the query φ(x) at the output pixels and the reflection-padded keys
        ψ(x)."""
        raise NotImplementedError

    def _norm(self, norm_cfg: dict, channels: int) -> nn.Module:
        return build_norm_layer(norm_cfg, channels)[1]

    def forward(self, x: Tensor) -> Tensor:
        pad = self.dilation * (self.kernel_size // 2)
        query = self.conv1(x)[..., ::self.stride, ::self.stride]
        weights = self.attention(x, query, reflect_pad(self.conv2(x), pad))
        n, _, h, w = query.shape
        values = reflect_pad(self.conv3(x), pad)
        values = values.unflatten(1, (-1, self.weight_channels))
        out = aggregate(values, weights[:, None], self.kernel_size,
                        self.stride, self.dilation)
        return out.reshape(n, self.out_channels, h, w)

    def _windows(self, padded: Tensor, query: Tensor) -> Tensor:
        return windows(padded, self.kernel_size, query.shape[-2:], self.stride,
                       self.dilation)


@MODELS.register_module()
class SANPairwise(_SelfAttention):
    """SAN's pairwise self-attention:
    ``α(x_i, x_j) = softmax_j γ([φ(x_i) - ψ(x_j), p_i - p_j])``.

    ``φ``, ``ψ`` are the 1×1 convs ``conv1``, ``conv2`` (``in_channels /
    rel_reduction`` wide); ``p`` is SAN's [-1, 1] coordinate map through
    the 1×1 conv ``conv_p`` and reflection-padded as the features are;
    ``γ`` is ``BN-ReLU-conv-BN-ReLU-conv`` (``conv_w``) and the softmax
    runs over the window (the subtraction relation and position encoding
    of the official SAN models).

    The signature is a conv's, so a host builds it wherever it builds a
    conv, e.g. in place of mmdet ResNet's 3×3 convs through its ``dcn``
    slot: ``dcn=dict(type='mmattn.SANPairwise', window_size=7)``. Such a
    host passes its own ``kernel_size=3``; ``window_size`` overrides it.
    ``padding`` is accepted for that signature and not used.

    Args:
        in_channels (int): Input channels.
        out_channels (int, optional): Output channels. Defaults to
            ``in_channels``.
        kernel_size (int): Window size k, odd. Defaults to 7 (SAN's).
        stride (int): 1 or 2. Defaults to 1.
        padding (int, optional): Of the replaced conv; unused.
        dilation (int): Spacing of the window's taps. Defaults to 1.
        bias (bool): Bias of ``conv1``-``conv3``. Defaults to True.
        window_size (int, optional): Overrides ``kernel_size``. Defaults
            to None.
        rel_reduction (int): ``conv1``/``conv2`` width ``in_channels //
            rel_reduction``. Defaults to 16 (SAN's).
        share_planes (int): Output channels per weight channel; must
            divide ``out_channels``. Defaults to 8 (SAN's).
        norm_cfg (dict): Norms of ``conv_w``. Defaults to
            ``dict(type='BN')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> san = SANPairwise(32, kernel_size=3)
        >>> san(torch.randn(2, 32, 9, 6)).shape
        torch.Size([2, 32, 9, 6])
    """
    paper = PAPER
    _abbr_ = 'san_pairwise'

    def weight_net(self, norm_cfg: dict) -> nn.Sequential:
        rel = self.rel_channels
        self.conv_p = nn.Conv2d(2, 2, 1)
        return nn.Sequential(
            self._norm(norm_cfg, rel + 2),
            nn.ReLU(inplace=True),
            nn.Conv2d(rel + 2, rel, 1, bias=False),
            self._norm(norm_cfg, rel),
            nn.ReLU(inplace=True),
            nn.Conv2d(rel, self.weight_channels, 1),
        )

    def attention(self, x: Tensor, query: Tensor, key: Tensor) -> Tensor:
        pad = self.dilation * (self.kernel_size // 2)
        pos = self.conv_p(position(*x.shape[-2:], like=x))
        pos_query = pos[..., ::self.stride, ::self.stride]
        rel_pos = pos_query[:, :, None] - self._windows(
            reflect_pad(pos, pad), query)
        relation = torch.cat([
            query[:, :, None] - self._windows(key, query),
            rel_pos.expand(len(x), -1, -1, -1, -1)
        ], 1)  # N×(rel + 2)×k²×H'×W'
        logits = self.conv_w(relation.flatten(3)).unflatten(
            3, query.shape[-2:])
        return logits.softmax(dim=2)


@MODELS.register_module()
class SANPatchwise(_SelfAttention):
    """SAN's patchwise self-attention:
    ``α(x_{R(i)})_j = γ([φ(x_i), ψ(x_j) for j ∈ R(i)])_j``.

    The weights of all k² taps come from the whole window at once: the
    query ``φ(x_i)`` concatenated with the k² keys ``ψ(x_j)`` (the
    official ``unfold`` order, channel-major) goes through ``γ``
    (``BN-ReLU-conv-BN-ReLU-conv``, ``conv_w``), which outputs k² weights
    per weight channel. As in the official code there is no softmax.

    Built in place of a conv (``dcn`` slot) as :class:`SANPairwise`.

    Args:
        The same as :class:`SANPairwise`'s.

    Example:
        >>> san = SANPatchwise(32, kernel_size=3)
        >>> san(torch.randn(2, 32, 9, 6)).shape
        torch.Size([2, 32, 9, 6])
    """
    paper = PAPER
    _abbr_ = 'san_patchwise'

    def weight_net(self, norm_cfg: dict) -> nn.Sequential:
        patch = self.rel_channels * (self.kernel_size**2 + 1)
        weights = self.weight_channels
        return nn.Sequential(
            self._norm(norm_cfg, patch),
            nn.ReLU(inplace=True),
            nn.Conv2d(patch, weights, 1, bias=False),
            self._norm(norm_cfg, weights),
            nn.ReLU(inplace=True),
            nn.Conv2d(weights, self.kernel_size**2 * weights, 1),
        )

    def attention(self, x: Tensor, query: Tensor, key: Tensor) -> Tensor:
        patch = torch.cat(
            [query, self._windows(key, query).flatten(1, 2)],
            1)  # N×rel·(1 + k²)×H'×W'
        return self.conv_w(patch).unflatten(
            1, (self.weight_channels, self.kernel_size**2))
