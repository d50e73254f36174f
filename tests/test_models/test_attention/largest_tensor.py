"""The largest tensor any operator allocates during a call.

Used to check that a block never materialises an HW×HW matrix: every ATen
operator the call dispatches (including the fused attention kernels) is
seen, so an attention matrix cannot hide in an intermediate. Views and
in-place results (outputs that alias an input) allocate nothing and are
not counted.
"""
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves


class _Largest(TorchDispatchMode):

    def __init__(self):
        super().__init__()
        self.numel, self.op = 0, None

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if any(ret.alias_info is not None for ret in func._schema.returns):
            return out
        for leaf in tree_leaves(out):
            if isinstance(leaf, torch.Tensor) and leaf.numel() > self.numel:
                self.numel, self.op = leaf.numel(), func
        return out


def largest_tensor(fn, *args):
    """``(numel, op)`` of the largest tensor returned inside ``fn(*args)``,
    forward and (if ``fn`` runs it) backward."""
    with _Largest() as mode:
        fn(*args)
    return mode.numel, str(mode.op)
