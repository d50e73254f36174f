"""Expectation-Maximization Attention Unit (EMAU) of EMANet.

Paper: Expectation-Maximization Attention Networks for Semantic
Segmentation, Li et al. 2019 (ICCV), https://arxiv.org/abs/1907.13426.
Code consulted: https://github.com/XiaLiPKU/EMANet (``network.py``,
``EMAU``; ``train.py``, the moving average of the bases) and mmseg's
``EMAModule`` (``mmseg/models/decode_heads/ema_head.py``).
"""
import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.dist import all_reduce
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int
from .base import AttentionBlock, Paper


def _l2norm(t: Tensor, dim: int) -> Tensor:
    """The official normalisation: ``t / (1e-6 + ||t||)``."""
    return t / (1e-6 + t.norm(dim=dim, keepdim=True))


class FixedConv1x1(nn.Module):
    """A 1×1 conv whose weight and bias are buffers: a fixed projection.

    ``weight`` (C_out×C_in×1×1) is drawn by the owner; ``bias`` keeps
    ``nn.Conv2d``'s default draw, as the official (untrained) ``conv1``.
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        conv = nn.Conv2d(in_channels, out_channels, 1)
        self.register_buffer('weight', conv.weight.detach())
        self.register_buffer('bias', conv.bias.detach())

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias)


@MODELS.register_module()
class EMAU(AttentionBlock):
    """EMAU: ``relu(x + norm(conv2(relu(μ Zᵀ))))`` with ``K`` bases μ
    estimated by ``T`` EM iterations on ``conv1(x)``.

    E-step: ``Z = softmax_K(Xᵀ μ)`` (N×HW×K responsibilities). M-step:
    ``μ = X Z / Σ_hw Z``, then l2-normalised. After ``num_stages`` steps the
    input is reconstructed from the K bases, ``μ Zᵀ`` (rank K), which is
    cheap (O(HW·C·K)) and never forms an HW×HW matrix.

    As in the official code (and mmseg) the iterations and the
    reconstruction run without gradient; only ``conv2`` and its norm learn.
    ``conv1`` therefore never receives a gradient: in the official code it
    stays a fixed random projection (mmseg freezes it with
    ``requires_grad=False``). Here its weight and bias are buffers
    (:class:`FixedConv1x1`, same state-dict keys), so optimizers, DDP and a
    host's init all leave it alone.

    Bases: the buffer ``mu`` (1×C×K, as the official name) starts as
    l2-normalised Kaiming noise. In training, after each forward pass, it
    moves towards the batch mean of the final bases:
    ``mu ← (1 - momentum) · mu + momentum · mean(μ)``; the mean is also
    averaged over processes (``mmengine.dist.all_reduce``, a no-op outside
    distributed runs) so that every replica keeps the same bases. In eval
    nothing is updated. The official ``train.py`` does this update outside
    the module with ``EM_MOM = 0.9`` (here ``momentum = 0.1``) and does not
    re-normalise the mean; mmseg re-normalises it. This follows the
    official code.

    Args:
        in_channels (int): Channels of the input (and output).
        num_bases (int): Number of bases K. Defaults to 64.
        num_stages (int): EM iterations T. Defaults to 3.
        momentum (float): Weight of the new bases in the moving average.
            Defaults to 0.1.
        norm_cfg (dict): Norm after ``conv2``. Defaults to
            ``dict(type='BN')`` (SyncBN in the official code).
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> emau = EMAU(32, num_bases=8).eval()
        >>> emau(torch.randn(2, 32, 7, 5)).shape
        torch.Size([2, 32, 7, 5])
    """
    paper = Paper(
        title='Expectation-Maximization Attention Networks for Semantic '
        'Segmentation',
        url='https://arxiv.org/abs/1907.13426',
        year=2019,
        family='self-attention',
        code='https://github.com/XiaLiPKU/EMANet',
        reported='PASCAL VOC val, ResNet-101 OS8, single scale: 80.05 mIoU '
        '(EMANet-512) vs 78.51 (DeepLabV3), with 1/3 of its extra FLOPs')
    _abbr_ = 'emau'

    def __init__(self,
                 in_channels: int,
                 num_bases: int = 64,
                 num_stages: int = 3,
                 momentum: float = 0.1,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        self.num_bases = positive_int(num_bases, 'num_bases')
        self.num_stages = positive_int(num_stages, 'num_stages')
        if not 0 <= momentum <= 1:
            raise ValueError(f'momentum must be in [0, 1], got {momentum!r}')
        self.momentum = momentum
        self.register_buffer('mu', torch.empty(1, in_channels, num_bases))
        self.conv1 = FixedConv1x1(in_channels, in_channels)
        self.conv2 = nn.Conv2d(in_channels, in_channels, 1, bias=False)
        self.norm = build_norm_layer(norm_cfg, in_channels)[1]
        self.reset_parameters()

    def reset_parameters(self):
        """The official init: bases and conv weights ~ N(0, 2 / fan), norm
        1 and 0."""
        with torch.no_grad():
            mu = torch.randn_like(self.mu) * math.sqrt(2. / self.num_bases)
            self.mu.copy_(_l2norm(mu, dim=1))
        std = math.sqrt(2. / self.in_channels)  # fan_out of a 1×1 conv
        for conv in (self.conv1, self.conv2):
            nn.init.normal_(conv.weight, 0, std)
        nn.init.ones_(self.norm.weight)
        nn.init.zeros_(self.norm.bias)

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        with torch.no_grad():
            feats = self.conv1(x).flatten(2)  # N×C×HW
            mu = self.mu.to(feats.dtype).expand(n, -1, -1)  # N×C×K
            for _ in range(self.num_stages):
                z = F.softmax(feats.transpose(1, 2) @ mu, dim=2)  # N×HW×K
                z_norm = z / (1e-6 + z.sum(dim=1, keepdim=True))
                mu = _l2norm(feats @ z_norm, dim=1)
            recon = (mu @ z.transpose(1, 2)).view(n, c, h, w)
        if self.training:
            self._update_bases(mu)
        out = self.norm(self.conv2(F.relu(recon)))
        return F.relu(x + out)

    @torch.no_grad()
    def _update_bases(self, mu: Tensor):
        mean = mu.mean(dim=0, keepdim=True).to(self.mu.dtype)
        all_reduce(mean, op='mean')
        self.mu.mul_(1 - self.momentum).add_(mean, alpha=self.momentum)
