"""Speed of a backbone's fast path against its reference formulation.

Both models hold the same weights. The reference is the backbone built with
``fast=False``: the official code's ops as written. The fast path is the
default:

- ``VAN``: polyphase dilated depthwise conv, channels_last, 1×1 convs as
  linears, and for inference oneDNN's fused kernels; ``deploy`` is the fast
  path after ``switch_to_deploy()`` (batch norms and layer scales folded).
- ``Conv2Former``: channels_last, fused ``F.layer_norm``, layer scales folded
  into the last 1×1 convs, residuals, GELUs and the modulation product in
  place where autograd allows.

Cases run in interleaved rounds (:func:`mmattn.benchmark.compare`), so the
ratios come from one run even on a loaded machine.

- inference: ``torch.no_grad`` forward, eval mode, 1×3×512×512;
- train step: forward, sum of the stage means as loss, backward and an AdamW
  step, train mode, 2×3×512×512.

Example::

    python tools/analysis_tools/benchmark_fast_path.py VAN --archs b0 b2
    python tools/analysis_tools/benchmark_fast_path.py Conv2Former --archs n t
"""
import argparse
import copy
import logging
import os

import torch

from mmattn.benchmark import compare, describe_machine, format_table
from mmattn.models.backbones import VAN, Conv2Former

BACKBONES = {'VAN': VAN, 'Conv2Former': Conv2Former}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('backbone', choices=sorted(BACKBONES))
    parser.add_argument('--archs', nargs='+', required=True,
                        help="arch names, e.g. VAN's b0 b2 or "
                        "Conv2Former's n t")
    parser.add_argument('--size', type=int, default=512)
    parser.add_argument('--infer-batch', type=int, default=1)
    parser.add_argument('--train-batch', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch.set_num_threads; default: torch default')
    parser.add_argument('--skip-train', action='store_true')
    return parser.parse_args(argv)


def build_pair(backbone, arch):
    """The reference model, initialised, and the fast one with its weights."""
    torch.manual_seed(0)
    reference = backbone(arch, fast=False)
    logging.disable(logging.INFO)  # mmengine logs every parameter's init
    reference.init_weights()
    logging.disable(logging.NOTSET)
    fast = backbone(arch)
    fast.load_state_dict(reference.state_dict())
    return reference, fast


def train_step(model, x):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = sum(out.mean() for out in model(x))
        loss.backward()
        optimizer.step()

    return step


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f'{describe_machine()} at start')
    for arch in args.archs:
        reference, fast = build_pair(BACKBONES[args.backbone], arch)
        name = f'{args.backbone}-{arch}'
        models = dict(reference=reference.eval(), fast=fast.eval())
        if hasattr(fast, 'switch_to_deploy'):
            models['deploy'] = copy.deepcopy(fast).eval()
            models['deploy'].switch_to_deploy()

        x = torch.randn(args.infer_batch, 3, args.size, args.size)
        with torch.no_grad():
            results = compare({case: (lambda m=m: m(x))
                               for case, m in models.items()},
                              warmup=args.warmup, repeats=args.repeats,
                              memory=False)
        print(f'\n{name} inference, {tuple(x.shape)}, '
              f'{args.repeats} interleaved rounds\n')
        print(format_table(results))

        if args.skip_train:
            continue
        x = torch.randn(args.train_batch, 3, args.size, args.size)
        results = compare(
            dict(reference=train_step(reference.train(), x),
                 fast=train_step(fast.train(), x)),
            warmup=args.warmup, repeats=args.repeats, memory=False)
        print(f'\n{name} train step (forward, backward, AdamW), '
              f'{tuple(x.shape)}, {args.repeats} interleaved rounds\n')
        print(format_table(results))
    print(f'\nload average {os.getloadavg()[0]:.1f} at the end')


if __name__ == '__main__':
    main()
