"""External attention: attention against two small learnable memories.

Paper: Beyond Self-attention: External Attention using Two Linear Layers for
Visual Tasks, Guo et al. 2021, https://arxiv.org/abs/2105.02358.
Official code consulted: https://github.com/MenghaoGuo/EANet
(``model_torch.py``, ``External_attention``, the segmentation head).
"""
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int
from .base import AttentionBlock, Paper


@MODELS.register_module()
class ExternalAttention(AttentionBlock):
    """External attention with double normalisation, on N×C×H×W maps.

    ``relu(x + norm(conv2(M_v · dnorm(M_k · conv1(x)))))``: the pixels attend
    to ``memory_size`` learnable keys ``M_k`` (S×C) instead of to each other,
    so the cost is linear in H·W. The attention map is normalised twice:
    a softmax over the pixels (for each memory slot), then an l1
    normalisation over the slots (for each pixel). ``M_v`` (C×S) maps the
    result back to C channels.

    Module for module the official segmentation block: ``conv1`` (1×1 with
    bias), ``linear_0`` / ``linear_1`` (the memories, 1×1 without bias),
    ``conv2`` (1×1 without bias) and its BN, then the residual and a ReLU.
    The official code also starts ``M_v`` as the transpose of ``M_k``, but
    through a view of the same storage, so the two memories stay aliased
    through training (one storage, two gradients); the paper describes two
    independent memories. Here they start equal (transposed) and then train
    independently.

    Args:
        in_channels (int): Channels of the input (and output).
        memory_size (int): Number of memory slots S. Defaults to 64, the
            paper's and the code's value.
        norm_cfg (dict): Norm after ``conv2``. Defaults to
            ``dict(type='BN')``.
        eps (float): Added to the slot sum of the l1 normalisation.
            Defaults to 1e-9, the official value.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> ea = ExternalAttention(32)
        >>> ea(torch.randn(2, 32, 9, 13)).shape
        torch.Size([2, 32, 9, 13])
    """
    paper = Paper(
        title='Beyond Self-attention: External Attention using Two Linear '
        'Layers for Visual Tasks',
        url='https://arxiv.org/abs/2105.02358',
        year=2021,
        family='self-attention',
        code='https://github.com/MenghaoGuo/EANet',
        reported='EANet (dilated ResNet-101 + EA head): '
        'ADE20K val 45.33 mIoU, Cityscapes val 81.7 mIoU')
    _abbr_ = 'external_attention'

    def __init__(self,
                 in_channels: int,
                 memory_size: int = 64,
                 norm_cfg: dict = dict(type='BN'),
                 eps: float = 1e-9,
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        self.memory_size = positive_int(memory_size, 'memory_size')
        self.eps = eps
        self.conv1 = nn.Conv2d(in_channels, in_channels, 1)
        self.linear_0 = nn.Conv1d(in_channels, memory_size, 1, bias=False)
        self.linear_1 = nn.Conv1d(memory_size, in_channels, 1, bias=False)
        self.conv2 = nn.Conv2d(in_channels, in_channels, 1, bias=False)
        self.norm = build_norm_layer(norm_cfg, in_channels)[1]
        self.reset_parameters()

    def reset_parameters(self):
        """The official init: convs ~ N(0, 2 / (k·out)), norm 1 and 0,
        ``M_k`` = ``M_vᵀ``.

        In the official loop ``linear_1`` is initialised last, in place, on
        the storage it shares with ``linear_0``, so both memories start from
        ``linear_1``'s draw (std sqrt(2 / C)); biases keep PyTorch's default.
        """
        for m in (self.conv1, self.linear_1, self.conv2):
            fan_out = m.weight[0, 0].numel() * m.out_channels
            nn.init.normal_(m.weight, 0, (2. / fan_out)**0.5)
        with torch.no_grad():
            self.linear_0.weight.copy_(self.linear_1.weight.transpose(0, 1))
        nn.init.ones_(self.norm.weight)
        nn.init.zeros_(self.norm.bias)

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        attn = self.linear_0(self.conv1(x).flatten(2))  # N×S×HW
        attn = attn.softmax(dim=-1)  # over the pixels
        attn = attn / (self.eps + attn.sum(dim=1, keepdim=True))  # slots
        out = self.linear_1(attn).view(n, c, h, w)
        return torch.relu(x + self.norm(self.conv2(out)))
