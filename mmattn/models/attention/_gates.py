"""Pieces that several attention blocks share: pooled descriptors, the
channel-gate MLP and the batch check of a BatchNorm on pooled descriptors.

Nothing here is registered; blocks import these and build their gate
activation with mmcv's ``build_activation_layer`` from a ``gate_cfg`` such as
``dict(type='Sigmoid')`` or ``dict(type='HSigmoid')`` (mmcv's hard sigmoid,
``clamp((x + 3) / 6, 0, 1)``).

Pooling is written with ``mean`` / ``amax`` over explicit dims, never with
``AdaptiveAvgPool2d``, so every block exports to ONNX for any input size.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.dist import get_world_size
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..utils import positive_int


def global_avg_pool(x: torch.Tensor) -> torch.Tensor:
    """N×C×H×W -> N×C×1×1 mean over the spatial dims."""
    return x.mean((2, 3), keepdim=True)


def global_max_pool(x: torch.Tensor) -> torch.Tensor:
    """N×C×H×W -> N×C×1×1 max over the spatial dims."""
    return x.amax((2, 3), keepdim=True)


def z_pool(x: torch.Tensor) -> torch.Tensor:
    """N×C×H×W -> N×2×H×W: channel max then channel mean, concatenated.

    The order (max first) is the one of CBAM's ``ChannelPool`` and Triplet
    Attention's ``ZPool`` in their official code, so the first input channel
    of the following 7×7 conv sees the max in both.
    """
    return torch.cat([x.amax(1, keepdim=True), x.mean(1, keepdim=True)], 1)


def adaptive_avg_pool2d(x: torch.Tensor, output_size) -> torch.Tensor:
    """``F.adaptive_avg_pool2d`` that also exports to ONNX for any input size.

    The ONNX exporter handles adaptive pooling only when the output size
    divides the input size. While exporting, the same bins are computed as two
    small averaging matrices instead (``P_h @ x @ P_w^T``), exact for any
    size; in eager mode the native op runs.

    Args:
        x (Tensor): N×C×H×W input.
        output_size (tuple[int, int]): (h, w) of the output.
    """
    if torch.onnx.is_in_onnx_export():
        return adaptive_avg_pool2d_matmul(x, output_size)
    return F.adaptive_avg_pool2d(x, output_size)


def adaptive_avg_pool2d_matmul(x: torch.Tensor, output_size) -> torch.Tensor:
    """Adaptive average pooling as ``P_h @ x @ P_w^T`` (see
    :func:`adaptive_avg_pool2d`); bin ``i`` of ``n`` over a length ``L`` spans
    ``[floor(i L / n), ceil((i + 1) L / n))``, as in PyTorch."""
    out_h, out_w = output_size
    pool_h = _pool_matrix(x.shape[2], out_h, x)
    pool_w = _pool_matrix(x.shape[3], out_w, x)
    return pool_h @ x @ pool_w.transpose(0, 1)


def _pool_matrix(in_size, out_size, like):
    """out_size×in_size matrix whose rows average the adaptive bins."""
    pos = torch.arange(in_size, device=like.device)
    bins = torch.arange(out_size, device=like.device)
    start = (bins * in_size).div(out_size, rounding_mode='floor')
    end = ((bins + 1) * in_size + out_size - 1).div(
        out_size, rounding_mode='floor')
    inside = (pos[None] >= start[:, None]) & (pos[None] < end[:, None])
    weights = inside.to(like.dtype)
    return weights / weights.sum(1, keepdim=True)


class ChannelMLP(nn.Sequential):
    """The bottleneck MLP of channel gates, as 1×1 convs on N×C×1×1.

    ``fc1`` (C -> hidden) -> ``norm`` (optional) -> ``act`` -> ``fc2``
    (hidden -> out). It returns logits: the caller applies its gate (sigmoid,
    hard sigmoid, softmax over branches), possibly after summing the MLP over
    several descriptors, as CBAM does with the average and max pools.

    A 1×1 conv on a 1×1 map is the papers' fully connected layer with the
    same parameters (timm's ``SEModule`` does the same), and it keeps the
    descriptor 4-d, so no reshapes are needed for ONNX.

    Used by SE (``fc1``/``fc2`` with bias), CBAM's shared MLP, BAM's channel
    branch (``norm_cfg=dict(type='BN')``), scSE's cSE and SK's fuse layer
    (``out_channels = branches * C``).

    Args:
        in_channels (int): Channels of the descriptor.
        hidden_channels (int): Bottleneck width; compute it with
            :func:`mmattn.models.utils.reduced_channels`.
        out_channels (int, optional): Output channels. Defaults to
            ``in_channels``.
        act_cfg (dict): Activation between the layers.
            Defaults to ``dict(type='ReLU')``.
        norm_cfg (dict, optional): Norm after ``fc1``. Defaults to None.
        bias (bool): Whether the 1×1 convs have a bias. Defaults to True.

    Example:
        >>> mlp = ChannelMLP(64, 4)
        >>> mlp(torch.rand(2, 64, 1, 1)).shape
        torch.Size([2, 64, 1, 1])
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 out_channels: Optional[int] = None,
                 act_cfg: dict = dict(type='ReLU'),
                 norm_cfg: Optional[dict] = None,
                 bias: bool = True):
        super().__init__()
        positive_int(hidden_channels, 'hidden_channels')
        out_channels = out_channels or in_channels
        self.fc1 = nn.Conv2d(in_channels, hidden_channels, 1, bias=bias)
        if norm_cfg is not None:
            self.norm = build_norm_layer(norm_cfg, hidden_channels)[1]
        self.act = build_activation_layer(act_cfg)
        self.fc2 = nn.Conv2d(hidden_channels, out_channels, 1, bias=bias)


def check_pooled_batch(block: nn.Module, norm: nn.Module, x: torch.Tensor):
    """Refuse a batch of one where ``norm`` normalises pooled descriptors.

    A BatchNorm over N×C×1×1 pooled vectors (SRM's, BAM's, SK's, the pooled
    branch of bilinear attention, GE-θ's global gather) has one value per
    channel at batch 1, and PyTorch stops in training with "Expected more
    than 1 value per channel", naming neither the block nor a fix. This
    check stops first, with one line that names both. A SyncBN in a run of
    two or more processes normalises over all of them and passes; so does
    any norm that is not a BatchNorm (GN), and a BatchNorm in eval mode.

    Args:
        block (nn.Module): The block, named in the message.
        norm (nn.Module): Its norm over the pooled descriptors.
        x (Tensor): The block's N×C×H×W input.

    Raises:
        ValueError: at batch 1 when ``norm`` is a BatchNorm in training.
    """
    if norm.training and x.shape[0] == 1 and isinstance(norm, _BatchNorm) \
            and not (isinstance(norm, nn.SyncBatchNorm)
                     and get_world_size() > 1):
        name = type(block).__name__
        raise ValueError(
            f'{name} cannot train on a batch of 1 per GPU: its BatchNorm '
            f'normalises pooled N×C×1×1 vectors over the batch (as in the '
            f'official code). Use norm_cfg=dict(type=\'SyncBN\') with 2 or '
            f'more GPUs, norm_cfg=dict(type=\'GN\', num_groups=...), or 2 or '
            f'more images per GPU.')
