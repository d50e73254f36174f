"""What an attention block attends to: its own maps, for
``tools/analysis_tools/visualize_attention.py``.

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
    """Register ``fn(block, x, query) -> dict`` for the class ``name``."""

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


# Adapters for the blocks in mmattn/models/attention. Gating blocks run
# their own forward with hooks on the sub-modules that make the gate (so a
# change inside forward does not break them); query maps are recomputed.


def _outputs(block, x, names):
    """Run ``block(x)``; return ``{name: output}`` of those sub-modules (the
    last call of each)."""
    modules = dict(block.named_modules())
    seen = {}
    handles = [
        modules[n].register_forward_hook(
            lambda m, a, out, n=n: seen.__setitem__(n, out)) for n in names
    ]
    try:
        block(x)
    finally:
        for h in handles:
            h.remove()
    return seen


@adapter('CoordAttention')
def _coord_attention(block, x, query):
    out = _outputs(block, x, ['conv_h', 'conv_w'])
    a_h, a_w = out['conv_h'].sigmoid(), out['conv_w'].sigmoid()
    return {
        'h gate (mean over C)': a_h.mean(1),  # N×H×1
        'w gate (mean over C)': a_w.mean(1),  # N×1×W
        'h×w gate (mean over C)': (a_h * a_w).mean(1),
    }


@adapter('CBAM')
def _cbam(block, x, query):
    if not block.spatial:
        return {}
    gate = _outputs(block, x, ['spatial_gate'])['spatial_gate'].sigmoid()
    return {'spatial gate': gate[:, 0]}


@adapter('BAM')
def _bam(block, x, query):
    spatial = _outputs(block, x, ['spatial_branch'])['spatial_branch']
    return {'spatial branch logits': spatial[:, 0]}


@adapter('scSE')
def _scse(block, x, query):
    gate = _outputs(block, x, ['spatial_conv'])['spatial_conv'].sigmoid()
    return {'spatial gate (sSE)': gate[:, 0]}


@adapter('GlobalContext')
def _global_context(block, x, query):
    if block.pooling_type != 'att':
        return {}
    n, _, h, w = x.shape
    logits = _outputs(block, x, ['conv_mask'])['conv_mask']
    return {'context weights': logits.flatten(1).softmax(-1).view(n, h, w)}


@adapter('LKA')
def _lka(block, x, query):
    attn = _outputs(block, x, ['conv1'])['conv1']
    return {'|attention| (mean over C)': attn.abs().mean(1)}


@adapter('SK')
def _sk(block, x, query):
    logits = _outputs(block, x, ['fuse'])['fuse']  # N×(M·C)×1×1
    weights = logits.flatten(1).unflatten(1, (len(block.branches), -1))
    return {'selection (branch × channel)': weights.softmax(1)}


@adapter('GE')
def _ge(block, x, query):
    captured = _outputs(block, x, ['mlp'] if block.mlp is not None else [])
    context = captured.get('mlp')
    if context is None:
        context = block._gather(x)
    gate = context.sigmoid()
    if gate.shape[2:] == (1, 1):  # global extent: a channel gate
        return {'channel gate (1 × C)': gate[:, :, 0, 0][:, None]}
    gate = torch.nn.functional.interpolate(gate, size=x.shape[2:],
                                           mode='nearest')
    return {'gathered gate (mean over C)': gate.mean(1)}


@adapter('NonLocal')
def _non_local(block, x, query):
    """The weights of the query position over all (key) positions."""
    if block.mode == 'concatenation':
        return {}
    n, _, h, w = x.shape
    gaussian = block.mode == 'gaussian'
    out = _outputs(block, x, ['phi'] if gaussian else ['theta', 'phi'])
    q, k = x if gaussian else out['theta'], out['phi']  # keys: subsampled
    scale = block.inter_channels**-0.5 \
        if block.use_scale and not gaussian else 1.
    kh, kw = k.shape[2:]
    row = q.flatten(2)[:, :, query_index(query, h, w)]  # N×C'
    logits = (row[:, :, None] * k.flatten(2)).sum(1) * scale  # N×S
    if block.mode == 'dot_product':  # no softmax: divided by the positions
        weights = logits / logits.shape[1]
    else:
        weights = logits.softmax(-1)
    return {'attention of the query point': weights.view(n, kh, kw)}


@adapter('CrissCross')
def _criss_cross(block, x, query):
    """First pass only: attention of the query point over its row and
    column, one softmax over both (the centre counted once)."""
    n, _, h, w = x.shape
    qy, qx = divmod(query_index(query, h, w), w)
    q = block.query_conv(x)[:, :, qy, qx, None]  # N×C'×1
    k = block.key_conv(x)
    row = (q * k[:, :, qy]).sum(1)  # N×W
    col = (q * k[:, :, :, qx]).sum(1)  # N×H
    col[:, qy] = float('-inf')
    weights = torch.cat([row, col], 1).softmax(1)
    out = x.new_zeros(n, h, w)
    out[:, qy] = weights[:, :w]
    out[:, :, qx] += weights[:, w:]
    return {'attention of the query point (pass 1)': out}
