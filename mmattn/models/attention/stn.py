"""Spatial transformer as a feature-map block.

Paper: `Spatial Transformer Networks`, Jaderberg et al., NeurIPS 2015,
https://arxiv.org/abs/1506.02025

No official code was released; consulted the PyTorch STN tutorial
(https://pytorch.org/tutorials/intermediate/spatial_transformer_tutorial.html)
for the identity initialisation of the regressor.
"""
import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import nn

from mmattn.registry import MODELS
from ..utils import reduced_channels
from .base import AttentionBlock, Paper

_IDENTITY = (1., 0., 0., 0., 1., 0.)


def affine_grid(theta, height, width):
    """``F.affine_grid(theta, (N, C, height, width), align_corners=False)``
    written with a matmul, so that it exports to ONNX at opset 17."""
    xs = (torch.arange(width, device=theta.device, dtype=theta.dtype) * 2 +
          1) / width - 1
    ys = (torch.arange(height, device=theta.device, dtype=theta.dtype) * 2 +
          1) / height - 1
    base = torch.stack([
        xs[None].expand(height, width), ys[:, None].expand(height, width),
        torch.ones(height, width, device=theta.device, dtype=theta.dtype)
    ], -1)  # H×W×3, (x, y, 1) per pixel centre
    return (base.reshape(1, -1, 3) @ theta.transpose(1, 2)).reshape(
        -1, height, width, 2)


@MODELS.register_module()
class STN(AttentionBlock):
    """Spatial transformer: a localisation net regresses an affine transform
    per sample, and the input is resampled (bilinearly) on the transformed
    grid.

    The paper leaves the localisation net to the task; for a plug-in that
    takes any input size it is a 3×3 stride-2 conv + BN + ReLU to
    ``in_channels * ratio`` channels, a global average pool and a linear
    regressor of the 6 affine parameters. The regressor starts at zero
    weight and identity bias (the paper's and the tutorial's
    initialisation), so the block starts as the identity (up to float
    rounding of the sampling grid).

    The grid is built and sampled in float32 with autocast disabled: in bf16
    the sampling positions would be off by up to half a pixel on 128-wide
    maps.

    Args:
        in_channels (int): Channels of the input.
        ratio (float | int): Width of the localisation conv as a fraction (or
            divisor) of ``in_channels``, at least 8. Defaults to 1/4.
        norm_cfg (dict): Norm of the localisation conv.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation of the localisation conv.
            Defaults to ``dict(type='ReLU')``.
        padding_mode (str): ``grid_sample`` padding outside the input.
            Defaults to ``'zeros'``.
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Example:
        >>> import torch
        >>> block = STN(64)
        >>> x = torch.rand(2, 64, 7, 9)
        >>> torch.allclose(block(x), x, atol=1e-5)
        True
    """
    paper = Paper(
        title='Spatial Transformer Networks',
        url='https://arxiv.org/abs/1506.02025',
        year=2015,
        family='spatial')
    _abbr_ = 'stn'
    identity_at_init = True

    def __init__(self,
                 in_channels,
                 ratio=1 / 4,
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU'),
                 padding_mode='zeros',
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        hidden = reduced_channels(in_channels, ratio, min_channels=8)
        if padding_mode not in ('zeros', 'border', 'reflection'):
            raise ValueError(f"padding_mode must be 'zeros', 'border' or "
                             f"'reflection', got {padding_mode!r}")
        self.padding_mode = padding_mode
        self.localization = ConvModule(
            in_channels, hidden, 3, stride=2, padding=1, norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.regressor = nn.Linear(hidden, 6)
        self.reset_parameters()

    def reset_parameters(self):
        """The identity transform: zero regressor weight, identity bias."""
        nn.init.zeros_(self.regressor.weight)
        with torch.no_grad():
            self.regressor.bias.copy_(torch.tensor(_IDENTITY))

    def forward(self, x):
        features = self.localization(x).mean((2, 3))
        theta = self.regressor(features)
        with torch.autocast(x.device.type, enabled=False):
            theta = theta.float().reshape(-1, 2, 3)
            grid = affine_grid(theta, x.shape[2], x.shape[3])
            out = F.grid_sample(
                x.float(), grid, padding_mode=self.padding_mode,
                align_corners=False)
        return out.to(x.dtype)
