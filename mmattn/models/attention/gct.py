"""Gated Channel Transformation.

Paper: `Gated Channel Transformation for Visual Recognition`, Yang et al.,
CVPR 2020, https://arxiv.org/abs/1909.11519

Official code: https://github.com/z-x-yang/GCT (``PyTorch/GCT.py``,
``PyTorch/resnet.py``).
"""
import torch
from torch import nn

from mmattn.registry import MODELS
from .base import AttentionBlock, Paper


@MODELS.register_module()
class GCT(AttentionBlock):
    """Gated Channel Transformation: embedding, channel norm, tanh gate.

    ``s = alpha * ||x_c||_2`` (global context embedding),
    ``s_hat = gamma * s / sqrt(mean_c(s^2) + eps)`` (channel normalisation),
    ``y = x * (1 + tanh(s_hat + beta))``. With ``gamma = beta = 0`` (the
    paper's initialisation) the gate is exactly 1, so the block starts as
    the identity.

    The ``'l1'`` mode (``after_relu`` skips the absolute value) is the
    official code's alternative embedding. The official ResNet puts a GCT
    before every convolution; in mmdet's ResNet the closest placements are
    the ``after_conv1`` / ``after_conv2`` plug-in positions (before conv2 /
    conv3).

    Args:
        in_channels (int): Channels of the input.
        eps (float): Added inside the square roots / divisions.
            Defaults to 1e-5.
        mode (str): ``'l2'`` or ``'l1'`` embedding. Defaults to ``'l2'``.
        after_relu (bool): In ``'l1'`` mode, the input is non-negative, so
            the absolute value is skipped. Defaults to False.
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Example:
        >>> import torch
        >>> block = GCT(64)
        >>> x = torch.rand(2, 64, 7, 9)
        >>> torch.equal(block(x), x)
        True
    """
    paper = Paper(
        title='Gated Channel Transformation for Visual Recognition',
        url='https://arxiv.org/abs/1909.11519',
        year=2020,
        family='channel',
        code='https://github.com/z-x-yang/GCT')
    _abbr_ = 'gct'
    identity_at_init = True

    def __init__(self,
                 in_channels,
                 eps=1e-5,
                 mode='l2',
                 after_relu=False,
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        if mode not in ('l1', 'l2'):
            raise ValueError(f"mode must be 'l1' or 'l2', got {mode!r}")
        self.eps = eps
        self.mode = mode
        self.after_relu = after_relu
        self.alpha = nn.Parameter(torch.empty(1, in_channels, 1, 1))
        self.gamma = nn.Parameter(torch.empty(1, in_channels, 1, 1))
        self.beta = nn.Parameter(torch.empty(1, in_channels, 1, 1))
        self.reset_parameters()

    def reset_parameters(self):
        """The paper's init: ``alpha = 1``, ``gamma = beta = 0``."""
        nn.init.ones_(self.alpha)
        nn.init.zeros_(self.gamma)
        nn.init.zeros_(self.beta)

    def forward(self, x):
        if self.mode == 'l2':
            embedding = (x.pow(2).sum((2, 3), keepdim=True) +
                         self.eps).sqrt() * self.alpha
            norm = self.gamma / (embedding.pow(2).mean(1, keepdim=True) +
                                 self.eps).sqrt()
        else:
            absolute = x if self.after_relu else x.abs()
            embedding = absolute.sum((2, 3), keepdim=True) * self.alpha
            norm = self.gamma / (embedding.abs().mean(1, keepdim=True) +
                                 self.eps)
        return x * (1 + torch.tanh(embedding * norm + self.beta))
