"""Peak memory and time of MHSA (BoTNet) against the straightforward
formulation, with the same weights, as ratios from one interleaved run.

The straightforward MHSA writes the HW×HW logits out, adds the HW×HW
relative-position bias (as the official gist and timm do) and applies a
softmax. ``mmattn.MHSA`` folds the relative term into the queries and keys
and runs SDPA's fused kernel, which never holds an HW×HW matrix.

Example::

    python tools/analysis_tools/benchmark_mhsa.py --size 64 --repeats 5
"""
import argparse

import torch

from mmattn.benchmark import compare, describe_machine, format_table
from mmattn.models.attention.mhsa import MHSA, relative_table


def straightforward(block):
    """softmax(q·k + q·(E_h + E_w)) v with the HW×HW tensors written out."""

    def forward(x):
        n, _, h, w = x.shape
        heads, d = block.heads, block.head_dim
        q, k, v = block.qkv(x).view(n, 3, heads, d, h * w).unbind(1)
        q = q.transpose(-1, -2) * d**-0.5  # (n, heads, HW, d)
        rel_h = q.view(n, heads, h, w, d) @ relative_table(
            block.rel_height, h).T  # (.., y, x, 2H-1)
        rel_w = q.view(n, heads, h, w, d) @ relative_table(
            block.rel_width, w).T
        iy = torch.arange(h)[None, :] - torch.arange(h)[:, None] + h - 1
        ix = torch.arange(w)[None, :] - torch.arange(w)[:, None] + w - 1
        # bias[(y, x), (y', x')] = rel_h[y, x, y' - y] + rel_w[y, x, x' - x]
        rel_h = rel_h.gather(-1, iy[:, None, :].expand(n, heads, h, w, h))
        rel_w = rel_w.gather(-1, ix[None, :, :].expand(n, heads, h, w, w))
        bias = rel_h[..., :, None] + rel_w[..., None, :]
        logits = q @ k + bias.reshape(n, heads, h * w, h * w)
        out = logits.softmax(-1) @ v.transpose(-1, -2)
        return out.transpose(-1, -2).reshape(n, heads * d, h, w)

    return forward


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--channels', type=int, default=256)
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    block = MHSA(args.channels, rel_pos_size=args.size).eval()
    reference = straightforward(block)
    x = torch.randn(1, args.channels, args.size, args.size)
    with torch.no_grad():
        torch.testing.assert_close(block(x), reference(x), rtol=1e-4,
                                   atol=1e-4)
        results = compare(
            {'straightforward (HW×HW logits + bias)': lambda: reference(x),
             'mmattn.MHSA (folded, SDPA)': lambda: block(x)},
            warmup=args.warmup, repeats=args.repeats)
    print(f'MHSA eval, 1×{args.channels}×{args.size}×{args.size}, '
          f'{block.heads} heads; {describe_machine()}')
    print(format_table(results))


if __name__ == '__main__':
    main()
