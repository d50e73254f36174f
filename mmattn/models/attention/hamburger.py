"""Hamburger: global context by non-negative matrix factorisation.

Paper: Is Attention Better Than Matrix Decomposition?, Geng et al. 2021
(ICLR), https://arxiv.org/abs/2109.04553.
Code consulted: https://github.com/Gsunshine/Enjoy-Hamburger
(``seg/HamNet/hamburger/ham.py``, ``NMF2D``; ``burger.py``) and mmseg's
``Hamburger`` of ``LightHamHead`` (``mmseg/models/decode_heads/ham_head.py``),
whose layout this block keeps.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor

from mmattn.registry import MODELS
from ..utils import positive_int
from .base import AttentionBlock, Paper


def update_coef(x: Tensor, bases: Tensor, coef: Tensor) -> Tensor:
    """Multiplicative update of the N×R coefficients of ``x ≈ bases ·
    coefᵀ`` (x: D×N, bases: D×R)."""
    return coef * (x.transpose(1, 2) @ bases) / (
        coef @ (bases.transpose(1, 2) @ bases) + 1e-6)


def update_bases(x: Tensor, bases: Tensor, coef: Tensor) -> Tensor:
    """Multiplicative update of the D×R bases of ``x ≈ bases · coefᵀ``."""
    return bases * (x @ coef) / (bases @ (coef.transpose(1, 2) @ coef) + 1e-6)


@MODELS.register_module()
class Hamburger(AttentionBlock):
    """Hamburger with NMF: ``relu(x + ham_out(NMF_R(relu(ham_in(x)))))``.

    The "ham" factorises the non-negative map (C/S × H·W per split) into R
    bases and coefficients by multiplicative updates, from bases drawn
    uniformly at random and l2-normalised and coefficients
    ``softmax(xᵀ bases)``, and returns the rank-R reconstruction
    ``bases · coefᵀ``: O(H·W·C·R), no HW×HW matrix. ``train_steps``
    updates in training, ``eval_steps`` in eval, as the official code and
    mmseg.

    The gradient is the paper's one-step gradient: the updates run without
    gradient and only the last coefficient update (and the reconstruction)
    is differentiated, as in the official code (``@torch.no_grad()`` on
    ``local_inference``). mmseg's port (from SegNeXt's Light-Ham)
    back-propagates through all the updates; its outputs are the same.

    Names and layout are mmseg's ``Hamburger`` (``ham_in``, ``ham_out``:
    ``ConvModule``), so its state dicts load unchanged. With ``rand_init``
    (the official code's and mmseg's default) the bases are drawn anew at
    every call, in eval too, from PyTorch's global generator as mmseg draws
    them: seeded alike, the two give the same output (mmseg draws on the CPU
    and copies; here the draw is made on the input's device, the same
    numbers on a CPU). Without it the bases are the buffer ``bases``, drawn
    once (mmseg's other option, there created at the first call); the
    official code then also moves them towards each batch's bases with a
    momentum, which is not done here.

    Args:
        in_channels (int): Channels of the input (and of the ham).
        num_bases (int): R, the rank. Defaults to 64 (``MD_R``).
        num_splits (int): S, the channel groups factorised apart; must
            divide ``in_channels``. Defaults to 1 (``MD_S``).
        train_steps (int): Updates in training. Defaults to 6.
        eval_steps (int): Updates in eval. Defaults to 7.
        rand_init (bool): Draw new bases at every call. Defaults to True.
        norm_cfg (dict, optional): Norm of ``ham_out``. Defaults to
            ``dict(type='BN')`` (the official "upper bread").
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> ham = Hamburger(32, num_bases=8).eval()
        >>> ham(torch.randn(2, 32, 9, 7)).shape
        torch.Size([2, 32, 9, 7])
    """
    paper = Paper(
        title='Is Attention Better Than Matrix Decomposition?',
        url='https://arxiv.org/abs/2109.04553',
        year=2021,
        family='self-attention',
        code='https://github.com/Gsunshine/Enjoy-Hamburger',
        reported='ADE20K val, ResNet-101, 512x512, 160k (official '
        'README): HamNet 44.9 (single scale) / 46.0 (multi-scale) mIoU, '
        'against DANet 45.2, OCRNet 45.3, DNL 46.0 (multi-scale)')
    _abbr_ = 'hamburger'

    def __init__(self,
                 in_channels: int,
                 num_bases: int = 64,
                 num_splits: int = 1,
                 train_steps: int = 6,
                 eval_steps: int = 7,
                 rand_init: bool = True,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, init_cfg)
        self.num_bases = positive_int(num_bases, 'num_bases')
        self.num_splits = positive_int(num_splits, 'num_splits')
        if in_channels % num_splits:
            raise ValueError(f'num_splits={num_splits} must divide '
                             f'in_channels={in_channels}')
        self.train_steps = positive_int(train_steps, 'train_steps')
        self.eval_steps = positive_int(eval_steps, 'eval_steps')
        self.rand_init = rand_init
        self.ham_in = ConvModule(in_channels, in_channels, 1, act_cfg=None)
        self.ham_out = ConvModule(
            in_channels, in_channels, 1, norm_cfg=norm_cfg, act_cfg=None)
        if not rand_init:
            self.register_buffer('bases', self._draw_bases(1))

    def _draw_bases(self, batch: int, device=None) -> Tensor:
        """Uniform bases, l2-normalised over D: (batch·S)×D×R, float32."""
        bases = torch.rand(
            batch * self.num_splits,
            self.in_channels // self.num_splits,
            self.num_bases,
            device=device)
        return F.normalize(bases, dim=1)

    def factorise(self, x: Tensor) -> Tensor:
        """NMF reconstruction of the non-negative N×C×H×W map ``x``."""
        n, c, h, w = x.shape
        dtype = x.dtype  # the updates run in float32 at least
        x = x.reshape(n * self.num_splits, c // self.num_splits,
                      h * w).to(torch.promote_types(dtype, torch.float32))
        if self.rand_init:
            bases = self._draw_bases(n, x.device)
        else:
            bases = self.bases.repeat(n, 1, 1)
        bases = bases.to(x.dtype)
        steps = self.train_steps if self.training else self.eval_steps
        with torch.no_grad():
            coef = (x.transpose(1, 2) @ bases).softmax(dim=-1)
            for _ in range(steps):
                coef = update_coef(x, bases, coef)
                bases = update_bases(x, bases, coef)
        coef = update_coef(x, bases, coef)  # the one step with gradient
        return (bases @ coef.transpose(1, 2)).view(n, c, h, w).to(dtype)

    def forward(self, x: Tensor) -> Tensor:
        ham = self.factorise(F.relu(self.ham_in(x)))
        return F.relu(x + self.ham_out(ham))
