"""EncNet's context encoding module as a channel gate.

Paper: `Context Encoding for Semantic Segmentation`, Zhang et al., CVPR 2018,
https://arxiv.org/abs/1803.08904

Official code: https://github.com/zhanghang1989/PyTorch-Encoding
(``encoding/models/sseg/encnet.py``: ``EncModule``;
``encoding/nn/encoding.py``: ``Encoding``); also consulted mmseg's
``EncModule`` and ``models/utils/encoding.py``.
"""
import torch
from mmcv.cnn import ConvModule, build_norm_layer
from torch import nn

from mmattn.registry import MODELS
from ..utils import positive_int
from .base import AttentionBlock, Paper


@MODELS.register_module()
class EncodingContext(AttentionBlock):
    """Context encoding: K learned codewords with soft assignment, then an
    FC-sigmoid channel gate, ``relu(x + x * gamma)``.

    As the official ``EncModule``: a 1×1 conv + BN + ReLU projection; the
    encoding layer softly assigns every position to K codewords
    (``softmax_k(s_k ||x_i - c_k||^2)`` with learned smoothing factors
    ``s_k``) and sums the weighted residuals ``x_i - c_k`` per codeword; a BN
    over the K codes + ReLU, the mean over the codes, an FC with bias and a
    sigmoid give gamma. The output is ``relu(x + x * gamma)`` as in the code
    (the paper writes ``x * gamma``). EncNet's SE-loss (a classifier on the
    encoded vector) belongs to the head and is not part of this block.

    The encoding runs in float32 with autocast disabled (distances, softmax
    and residual sums); it is computed as ``|x|^2 - 2 x.c + |c|^2`` with
    matmuls, so memory is O(HW·K), not O(HW·K·C).

    Args:
        in_channels (int): Channels of the input.
        num_codes (int): Number of codewords K. Defaults to 32 (EncNet).
        norm_cfg (dict): Norm of the projection and of the codes.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation of the projection.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Example:
        >>> import torch
        >>> block = EncodingContext(64, num_codes=8)
        >>> block(torch.rand(2, 64, 7, 9)).shape
        torch.Size([2, 64, 7, 9])
    """
    paper = Paper(
        title='Context Encoding for Semantic Segmentation',
        url='https://arxiv.org/abs/1803.08904',
        year=2018,
        family='channel',
        code='https://github.com/zhanghang1989/PyTorch-Encoding')
    _abbr_ = 'enc'

    def __init__(self,
                 in_channels,
                 num_codes=32,
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(in_channels, init_cfg)
        positive_int(num_codes, 'num_codes')
        self.project = ConvModule(
            in_channels, in_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        std = (num_codes * in_channels)**-0.5
        self.codewords = nn.Parameter(
            torch.empty(num_codes, in_channels).uniform_(-std, std))
        self.scale = nn.Parameter(torch.empty(num_codes).uniform_(-1, 0))
        # the official BatchNorm1d over N×K×C, as a 2-d norm on N×K×C×1
        self.code_norm = build_norm_layer(norm_cfg, num_codes)[1]
        self.fc = nn.Linear(in_channels, in_channels)

    def encode(self, x):
        """N×C×H×W -> N×K×C aggregated residuals, in float32."""
        feats = x.float().flatten(2).transpose(1, 2)  # N×HW×C
        codes = self.codewords.float()
        dist = (feats.pow(2).sum(2, keepdim=True) - 2 * feats @ codes.t() +
                codes.pow(2).sum(1))  # N×HW×K
        assign = (self.scale.float() * dist).softmax(2)
        return (assign.transpose(1, 2) @ feats -
                assign.sum(1)[..., None] * codes)

    def forward(self, x):
        projected = self.project(x)
        with torch.autocast(x.device.type, enabled=False):
            encoded = self.encode(projected)
        encoded = self.code_norm(encoded.unsqueeze(-1)).squeeze(-1).relu()
        gamma = self.fc(encoded.mean(1)).sigmoid()
        return (x + x * gamma[..., None, None]).relu()
