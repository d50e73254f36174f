"""Softmax attention over token sequences without an L×S matrix.

Several blocks (NonLocal, APNB/AFNB, DANet's PAM) compute
``softmax(q kᵀ · scale) v`` over all positions of a feature map. Written
out, the L×S weight matrix is what runs out of memory at segmentation
resolutions (L = S = H·W: 1 GiB for one 128×128 map in fp32, and the softmax
makes a second one). :func:`softmax_attention` hands the product to
``torch.nn.functional.scaled_dot_product_attention``, whose fused kernels
(flash attention on CPU and CUDA) stream over the keys and never hold the
matrix, in the forward pass nor in the backward pass.

The fused kernels want 4-d inputs with a unit stride in the last dimension
and the same width for ``q``, ``k`` and ``v``; otherwise PyTorch silently
falls back to the math kernel, which builds the matrix. This helper
arranges that without changing the result:

- values wider than the keys (DANet's PAM: 64-d logits, 512-d values) are
  cut into heads of the key width that all share ``q`` and ``k``
  (``expand``, no copy): the weights are the same for every head;
- values narrower than the keys (the ``gaussian`` non-local: C-d logits,
  C/2-d values) are zero-padded to the key width and cut back after.

The scale is always passed explicitly (the default would use the head
width).
"""
from typing import Optional

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
    q, k, v = (t if t.stride(-1) == 1 else t.contiguous() for t in (q, k, v))
    # Ceiling division written so ONNX (which truncates) exports it right.
    heads = (v_dim + dim - 1) // dim
    v = _pad_last(v, heads * dim).unflatten(-1, (heads, dim)).transpose(1, 2)
    q, k = (t[:, None].expand(-1, heads, -1, -1) for t in (q, k))
    out = F.scaled_dot_product_attention(q, k, v, scale=scale)  # N×h×L×E
    return out.transpose(1, 2).flatten(2)[..., :v_dim]


def tokens(x: Tensor) -> Tensor:
    """N×C×H×W -> N×(H·W)×C."""
    return x.flatten(2).transpose(1, 2)
