"""Speed of VAN's fast path against the straightforward formulation.

Both models hold the same weights; the reference is ``VAN(fast=False)``: the
official per-op formulation (dilated depthwise conv as such, NCHW). The fast
path is the default ``VAN()`` (polyphase dilated conv, channels_last, 1×1
convs as linears, and for inference oneDNN's fused kernels); ``deploy`` is
the fast path after ``switch_to_deploy()`` (batch norms and layer scales
folded). Cases run in interleaved rounds
(:func:`mmattn.benchmark.compare`), so the ratios come from one run even on
a loaded machine.

- inference: ``torch.no_grad`` forward, eval mode, 1×3×512×512;
- train step: forward, sum of the stage means as loss, backward and an AdamW
  step, train mode, 2×3×512×512.

Example::

    python tools/analysis/benchmark_van.py --archs b0 b2 --repeats 5
"""
import argparse
import copy
import os
import platform

import torch

from mmattn.benchmark import compare, format_table
from mmattn.models.backbones.van import VAN


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--archs', nargs='+', default=['b0', 'b2'])
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
          f'{os.cpu_count()} CPUs ({platform.machine()}), load average '
          f'{os.getloadavg()[0]:.1f} at start')
    for arch in args.archs:
        torch.manual_seed(0)
        reference = VAN(arch, fast=False)
        reference.init_weights()
        fast = VAN(arch)
        fast.load_state_dict(reference.state_dict())
        deploy = copy.deepcopy(fast).eval()
        deploy.switch_to_deploy()
        size = (args.size, args.size)

        x = torch.randn(args.infer_batch, 3, *size)
        models = dict(reference=reference.eval(), fast=fast.eval(),
                      deploy=deploy)
        with torch.no_grad():
            results = compare({name: (lambda m=m: m(x))
                               for name, m in models.items()},
                              warmup=args.warmup, repeats=args.repeats,
                              memory=False)
        print(f'\nVAN-{arch} inference, {tuple(x.shape)}, '
              f'{args.repeats} interleaved rounds\n')
        print(format_table(results))

        if args.skip_train:
            continue
        x = torch.randn(args.train_batch, 3, *size)
        results = compare(
            dict(reference=train_step(reference.train(), x),
                 fast=train_step(fast.train(), x)),
            warmup=args.warmup, repeats=args.repeats, memory=False)
        print(f'\nVAN-{arch} train step (forward, backward, AdamW), '
              f'{tuple(x.shape)}, {args.repeats} interleaved rounds\n')
        print(format_table(results))
    print(f'\nload average {os.getloadavg()[0]:.1f} at the end')


if __name__ == '__main__':
    main()
