"""Global reasoning unit (GloRe).

Paper: Graph-Based Global Reasoning Networks, Chen et al. 2019,
https://arxiv.org/abs/1811.12814.
Code consulted: https://github.com/facebookresearch/GloRe
(``network/global_reasoning_unit.py``, ``GloRe_Unit``; ``network/
resnet50_3d_gcn_x5.py`` for the sizes and the init), whose layout, names and
init this block keeps.
"""
from typing import Optional

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int, reduced_channels
from .base import AttentionBlock, Paper


class GCN(nn.Module):
    """One graph convolution on S states × N nodes,
    ``Z = W · ReLU(V + V Aᵀ)``: ``conv1`` mixes the nodes (A, with a bias;
    the identity is added as in the official code, the paper's
    ``I - A_g``), ``conv2`` the states (W, no bias)."""

    def __init__(self, num_state: int, num_node: int):
        super().__init__()
        self.conv1 = nn.Conv1d(num_node, num_node, 1)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv1d(num_state, num_state, 1, bias=False)

    def forward(self, x: Tensor) -> Tensor:  # N×S×nodes
        h = self.conv1(x.transpose(1, 2)).transpose(1, 2) + x
        return self.conv2(self.relu(h))


@MODELS.register_module()
class GloRe(AttentionBlock):
    """GloRe unit: ``x + BN(W_e · GCN(X_s Bᵀ) B)``, global reasoning over
    a graph of N nodes projected from the H·W pixels.

    ``conv_state`` reduces the input to S states per pixel, ``conv_proj``
    gives the projection B of the H·W pixels onto N nodes (``V = X_s Bᵀ``,
    S×N); :class:`GCN` reasons over the node graph; the nodes go back to
    the pixels through the same B (``Y = Z B``), and ``conv_extend``
    (1×1, no bias) with the norm ``blocker`` restore the channels of the
    residual. Sizes are the official ones: for a unit after a ResNet stage
    of bottleneck width C/4, N = C/4 nodes and S = 2N = C/2 states
    (``num_mid``, ``num_s = 2 * num_mid``). Cost O(H·W·C·N); no HW×HW
    matrix.

    Init as the official networks: Xavier-uniform convs with zero biases,
    then ``blocker``'s weight zeroed, so the unit starts as the identity
    (again in :meth:`init_weights`, after a host's init).

    Args:
        in_channels (int): Channels of the input.
        reduction (int): ``N = in_channels // reduction`` nodes, ``2N``
            states. Defaults to 4.
        normalize (bool): Scale the projection by ``1 / (H·W)`` (the
            official option, for inputs whose size varies). Defaults to
            False (official).
        norm_cfg (dict): The norm ``blocker``. Defaults to
            ``dict(type='BN', eps=1e-4)`` (official).
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> import torch
        >>> glore = GloRe(64, normalize=True)
        >>> glore(torch.randn(2, 64, 9, 7)).shape
        torch.Size([2, 64, 9, 7])
    """
    paper = Paper(
        title='Graph-Based Global Reasoning Networks',
        url='https://arxiv.org/abs/1811.12814',
        year=2019,
        family='self-attention',
        code='https://github.com/facebookresearch/GloRe',
        reported='Cityscapes test (official README): FCN + 1 GloRe unit, '
        'ResNet-50 79.5 / ResNet-101 80.9 IoU class')
    identity_at_init = True
    _abbr_ = 'glore'

    def __init__(self,
                 in_channels: int,
                 reduction: int = 4,
                 normalize: bool = False,
                 norm_cfg: dict = dict(type='BN', eps=1e-4),
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        self.num_n = reduced_channels(in_channels,
                                      positive_int(reduction, 'reduction'))
        self.num_s = 2 * self.num_n
        self.normalize = normalize
        self.conv_state = nn.Conv2d(in_channels, self.num_s, 1)
        self.conv_proj = nn.Conv2d(in_channels, self.num_n, 1)
        self.gcn = GCN(self.num_s, self.num_n)
        self.conv_extend = nn.Conv2d(self.num_s, in_channels, 1, bias=False)
        self.blocker = build_norm_layer(norm_cfg, in_channels)[1]
        self.reset_parameters()

    def reset_parameters(self):
        for m in self.modules():
            if isinstance(m, (nn.Conv1d, nn.Conv2d)):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        nn.init.zeros_(self.blocker.weight)
        nn.init.zeros_(self.blocker.bias)

    def forward(self, x: Tensor) -> Tensor:
        states = self.conv_state(x).flatten(2)  # N×S×HW
        proj = self.conv_proj(x).flatten(2)  # N×nodes×HW
        nodes = states @ proj.transpose(1, 2)  # N×S×nodes
        if self.normalize:
            nodes = nodes * (1. / states.shape[2])
        y = (self.gcn(nodes) @ proj).view(len(x), self.num_s, *x.shape[2:])
        return x + self.blocker(self.conv_extend(y))
