"""What an attention block attends to: its own maps, for
``tools/analysis/visualize_attention.py``.

The protocol
------------
A block shows its maps by defining::

    def attention_maps(self, x, query=None) -> dict[str, Tensor]

which recomputes, from the block's input ``x`` (N×C×H×W) and without
changing anything, the maps that make its attention, each an N×h×w tensor:

- a spatial map (h, w > 1 in the input's aspect ratio, e.g. H×W or, with
  subsampled keys, about H/2×W/2) is drawn over the image;
- anything else (a per-row gate of N×H×1, a branch × channel selection of
  N×K×C) is drawn as a heat matrix beside it (:func:`is_spatial`).

``query`` is a point ``(y, x)`` in relative coordinates (0 to 1) of the
input, used by blocks whose attention depends on a query position (NonLocal,
CrissCross: the attention weights of that position over all others).

Recomputing from the input keeps ``forward`` free of bookkeeping: the tool
captures each block's input with a forward pre-hook (:func:`capture_inputs`)
and asks for the maps afterwards. Blocks written before the protocol get an
adapter here (:data:`ADAPTERS`); a block's own method takes precedence.
"""
import contextlib
from typing import Callable, Dict, Optional, Tuple

import torch
from torch import Tensor, nn

ADAPTERS: Dict[str, Callable] = {}


def adapter(name: str):
    """Register ``fn(block, x, query) -> dict`` for blocks of class ``name``."""

    def wrap(fn):
        ADAPTERS[name] = fn
        return fn

    return wrap


def has_maps(module: nn.Module) -> bool:
    return hasattr(module, 'attention_maps') or \
        type(module).__name__ in ADAPTERS


@torch.no_grad()
def attention_maps(block: nn.Module, x: Tensor,
                   query: Optional[Tuple[float, float]] = None
                   ) -> Dict[str, Tensor]:
    """The maps of ``block`` for input ``x`` (see the protocol above)."""
    if hasattr(block, 'attention_maps'):
        maps = block.attention_maps(x, query=query)
    elif type(block).__name__ in ADAPTERS:
        maps = ADAPTERS[type(block).__name__](block, x, query)
    else:
        return {}
    return {k: v.float() for k, v in maps.items()}


@contextlib.contextmanager
def capture_inputs(model: nn.Module):
    """Record the input of every block with maps during the forward passes
    inside the ``with``; yields ``{name: (block, input)}`` (the last call)."""
    captured = {}
    handles = []
    for name, module in model.named_modules():
        if has_maps(module):

            def hook(mod, args, name=name):
                captured[name] = (mod, args[0].detach())

            handles.append(module.register_forward_pre_hook(hook))
    try:
        yield captured
    finally:
        for h in handles:
            h.remove()


def is_spatial(map_hw, input_hw) -> bool:
    """Whether a map of size ``map_hw`` is a picture of an input of size
    ``input_hw``: both sides > 1 and the same aspect, to a pixel."""
    (h, w), (ih, iw) = map_hw, input_hw
    return h > 1 and w > 1 and abs(h * iw / ih - w) <= 1


def query_index(query, h, w):
    """``(y, x)`` in [0, 1] -> flat index into an h×w map (centre default)."""
    qy, qx = query if query is not None else (0.5, 0.5)
    row = min(int(qy * h), h - 1)
    col = min(int(qx * w), w - 1)
    return row * w + col


# Adapters for the blocks in mmattn/models/attention. Each uses only the
# block's own sub-modules, as its forward does.


@adapter('CoordAttention')
def _coord_attention(block, x, query):
    h = x.shape[2]
    pooled = torch.cat([x.mean(3, keepdim=True),
                        x.mean(2, keepdim=True).transpose(2, 3)], 2)
    y = block.act(block.bn1(block.conv1(pooled)))
    a_h = block.conv_h(y[:, :, :h]).sigmoid()  # N×C×H×1
    a_w = block.conv_w(y[:, :, h:].transpose(2, 3)).sigmoid()  # N×C×1×W
    return {
        'h gate (mean over C)': a_h.mean(1),
        'w gate (mean over C)': a_w.mean(1),
        'h×w gate (mean over C)': (a_h * a_w).mean(1),
    }


@adapter('CBAM')
def _cbam(block, x, query):
    from mmattn.models.attention._gates import (global_avg_pool,
                                                global_max_pool, z_pool)
    if not block.spatial:
        return {}
    logits = block.channel_mlp(global_avg_pool(x)) + \
        block.channel_mlp(global_max_pool(x))
    x = x * logits.sigmoid()
    gate = block.spatial_norm(block.spatial_conv(z_pool(x))).sigmoid()
    return {'spatial gate': gate[:, 0]}


@adapter('BAM')
def _bam(block, x, query):
    return {'spatial branch': block.spatial_branch(x).mean(1)}


@adapter('scSE')
def _scse(block, x, query):
    return {'spatial gate (sSE)': block.spatial_conv(x).sigmoid()[:, 0]}


@adapter('GlobalContext')
def _global_context(block, x, query):
    if block.pooling_type != 'att':
        return {}
    n, _, h, w = x.shape
    mask = block.conv_mask(x).flatten(2).softmax(-1).view(n, h, w)
    return {'context weights': mask}


@adapter('LKA')
def _lka(block, x, query):
    attn = block.conv1(block.conv_spatial(block.conv0(x)))
    return {'|attention| (mean over C)': attn.abs().mean(1)}


@adapter('NonLocal')
def _non_local(block, x, query):
    from mmattn.models.attention._sdpa import tokens
    n, _, h, w = x.shape
    if block.mode == 'gaussian':
        q, k = tokens(x), tokens(block._keys(x))
        scale = 1.
    else:
        q, k = tokens(block.theta(x)), tokens(block._keys(block.phi(x)))
        scale = block.inter_channels**-0.5 if block.use_scale else 1.
    kh, kw = block._keys(x[:, :1]).shape[2:]
    row = q[:, query_index(query, h, w)]  # N×C'
    if block.mode == 'concatenation':
        return {}
    logits = torch.einsum('nc,nsc->ns', row, k) * scale
    if block.mode in ('gaussian', 'embedded_gaussian'):
        weights = logits.softmax(-1)
    else:  # dot_product: normalised by the number of positions
        weights = logits / k.shape[1]
    return {'attention of the query point': weights.view(n, kh, kw)}
