"""Softmax attention over token sequences without an L×S matrix.

Several blocks (NonLocal, APNB/AFNB, DANet's PAM) compute
``softmax(q kᵀ · scale) v`` over all positions of a feature map. Written
out, the L×S weight matrix is what runs out of memory at segmentation
resolutions (L = S = H·W: 1 GiB for one 128×128 map in fp32, and the softmax
makes a second one). :func:`softmax_attention` hands the product to
``torch.nn.functional.scaled_dot_product_attention``, whose fused kernels
(flash attention on CPU and CUDA) stream over the keys and never hold the
matrix, in the forward pass nor in the backward pass.

The fused kernels want 4-d inputs whose last dimension is contiguous and
the same for ``q``, ``k`` and ``v``; otherwise PyTorch silently falls back
to the math kernel, which builds the matrix. This helper arranges that:
the narrower of (``q``, ``k``) and ``v`` is zero-padded to the wider one.
Zero channels add nothing to the dot products and the padded output
channels are cut off, so the result is exact; the scale is always passed
explicitly because the default would use the padded width.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor


def _pad_last(t: Tensor, width: int) -> Tensor:
    return t if t.shape[-1] == width else F.pad(t, (0, width - t.shape[-1]))


def softmax_attention(q: Tensor,
                      k: Tensor,
                      v: Tensor,
                      scale: Optional[float] = None) -> Tensor:
    """``softmax(q @ k.transpose(-1, -2) * scale) @ v``, no L×S matrix.

    Args:
        q (Tensor): Queries, N×L×E.
        k (Tensor): Keys, N×S×E.
        v (Tensor): Values, N×S×Ev.
        scale (float, optional): Logit scale. Defaults to ``E ** -0.5``.

    Returns:
        Tensor: N×L×Ev.
    """
    dim, v_dim = q.shape[-1], v.shape[-1]
    scale = dim**-0.5 if scale is None else scale
    width = max(dim, v_dim)
    # [:, None] adds SDPA's head dim; contiguous() gives the unit stride
    # the fused kernels need (a no-op when the caller already has it).
    q, k, v = (_pad_last(t, width)[:, None].contiguous() for t in (q, k, v))
    out = F.scaled_dot_product_attention(q, k, v, scale=scale)
    return out[:, 0, :, :v_dim]


def tokens(x: Tensor) -> Tensor:
    """N×C×H×W -> N×(H·W)×C."""
    return x.flatten(2).transpose(1, 2)
