"""Speed of Conv2Former's fast path against the official formulation.

Both models hold the same weights. The reference is
``Conv2Former(fast=False)``: the official code's ops as written (NCHW,
hand-written channels_first LayerNorm, layer scale as a separate product).
The fast path is the default ``Conv2Former()``: channels_last, fused
``F.layer_norm``, layer scales folded into the last 1×1 convs, residuals,
GELUs and the modulation product in place where autograd allows. Cases run
in interleaved rounds (:func:`mmattn.benchmark.compare`), so the ratios come
from one run even on a loaded machine.

- inference: ``torch.no_grad`` forward, eval mode, 1×3×512×512;
- train step: forward, sum of the stage means as loss, backward and an AdamW
  step, train mode, 2×3×512×512.

Example::

    python tools/analysis/benchmark_conv2former.py --archs n t --repeats 5
"""
import argparse
import logging
import platform

import torch

from mmattn.benchmark import compare, format_table
from mmattn.models.backbones.conv2former import Conv2Former


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--archs', nargs='+', default=['n', 't'])
    parser.add_argument('--size', type=int, default=512)
    parser.add_argument('--infer-batch', type=int, default=1)
    parser.add_argument('--train-batch', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch.set_num_threads; default: torch default')
    parser.add_argument('--skip-train', action='store_true')
    return parser.parse_args()


def train_step(model, x):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = sum(out.mean() for out in model(x))
        loss.backward()
        optimizer.step()

    return step


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, '
          f'{platform.processor() or platform.machine()}')
    for arch in args.archs:
        torch.manual_seed(0)
        reference = Conv2Former(arch, fast=False)
        logging.disable(logging.INFO)  # mmengine logs every parameter's init
        reference.init_weights()
        logging.disable(logging.NOTSET)
        fast = Conv2Former(arch)
        fast.load_state_dict(reference.state_dict())
        size = (args.size, args.size)

        x = torch.randn(args.infer_batch, 3, *size)
        models = dict(reference=reference.eval(), fast=fast.eval())
        with torch.no_grad():
            results = compare({name: (lambda m=m: m(x))
                               for name, m in models.items()},
                              warmup=args.warmup, repeats=args.repeats,
                              memory=False)
        print(f'\nConv2Former-{arch} inference, {tuple(x.shape)}, '
              f'{args.repeats} interleaved rounds\n')
        print(format_table(results))

        if args.skip_train:
            continue
        x = torch.randn(args.train_batch, 3, *size)
        results = compare(
            dict(reference=train_step(reference.train(), x),
                 fast=train_step(fast.train(), x)),
            warmup=args.warmup, repeats=args.repeats, memory=False)
        print(f'\nConv2Former-{arch} train step (forward, backward, AdamW), '
              f'{tuple(x.shape)}, {args.repeats} interleaved rounds\n')
        print(format_table(results))


if __name__ == '__main__':
    main()
