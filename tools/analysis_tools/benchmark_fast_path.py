"""Speed of a backbone against its straightforward formulation.

All cases hold the same weights:

- ``reference``: :func:`mmattn.models.layers.reference.to_reference` of the
  model, the official code's ops as written (torch.nn convs, the
  hand-written channels_first LayerNorm, NCHW);
- ``default``: the model as configs build it (drop-in layers: polyphase
  dilated conv, 1×1 convs as matrix products, fused LayerNorm; channels_last
  on CPU);
- ``optimized``: after :func:`mmattn.models.optimize_for_inference` (batch
  norms and layer scales folded, oneDNN kernels with the pointwise ops
  fused); inference only;
- ``compiled``: ``torch.compile`` of the default model (inductor); its
  compilation happens in the warm-up calls and is not timed. ``--no-compile``
  skips it.

Cases run in interleaved rounds (:func:`mmattn.benchmark.compare`), so the
ratios come from one run even on a loaded machine. ``--keep-freed-memory``
stops glibc from handing freed memory back to the OS
(:func:`mmattn.benchmark.keep_freed_memory`), as jemalloc or tcmalloc would:
the cases then pay no page faults for fresh activations, and the ratios
count arithmetic and memory traffic alone.

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

from mmattn.benchmark import (compare, describe_machine, format_table,
                              keep_freed_memory)
from mmattn.models import VAN, Conv2Former, optimize_for_inference
from mmattn.models.layers.reference import to_reference

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
    parser.add_argument('--warmup', type=int, default=1,
                        help='untimed calls per case (at least 1 for the '
                        'compiled case, which compiles in its first call)')
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch.set_num_threads; default: torch default')
    parser.add_argument('--skip-train', action='store_true')
    parser.add_argument('--no-compile', action='store_true',
                        help='leave out the torch.compile case')
    parser.add_argument('--keep-freed-memory', action='store_true',
                        help="keep freed memory in the process (glibc "
                        "mallopt), as jemalloc or tcmalloc do")
    return parser.parse_args(argv)


def build(backbone, arch):
    """The model as configs build it, with its official init."""
    torch.manual_seed(0)
    model = backbone(arch)
    logging.disable(logging.INFO)  # mmengine logs every parameter's init
    model.init_weights()
    logging.disable(logging.NOTSET)
    return model


def train_step(model, x):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = sum(out.mean() for out in model(x))
        loss.backward()
        optimizer.step()

    return step


def run(name, cases, args):
    results = compare(cases, warmup=max(args.warmup, 1 if 'compiled' in cases
                                        else 0),
                      repeats=args.repeats, memory=False)
    print(f'\n{name}, {args.repeats} interleaved rounds\n')
    print(format_table(results))


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.keep_freed_memory:
        keep_freed_memory()
    print(f'{describe_machine()} at start'
          + (', freed memory kept' if args.keep_freed_memory else ''))
    for arch in args.archs:
        model = build(BACKBONES[args.backbone], arch)
        label = f'{args.backbone}-{arch}'

        models = dict(reference=to_reference(model).eval(),
                      default=copy.deepcopy(model).eval(),
                      optimized=optimize_for_inference(copy.deepcopy(model)))
        if not args.no_compile:
            models['compiled'] = torch.compile(copy.deepcopy(model).eval())
        x = torch.randn(args.infer_batch, 3, args.size, args.size)
        with torch.no_grad():
            run(f'{label} inference, {tuple(x.shape)}',
                {case: (lambda m=m: m(x)) for case, m in models.items()},
                args)

        if args.skip_train:
            continue
        models = dict(reference=to_reference(model).train(),
                      default=copy.deepcopy(model).train())
        if not args.no_compile:
            models['compiled'] = torch.compile(copy.deepcopy(model).train())
        x = torch.randn(args.train_batch, 3, args.size, args.size)
        run(f'{label} train step (forward, backward, AdamW), '
            f'{tuple(x.shape)}',
            {case: train_step(m, x) for case, m in models.items()}, args)
    print(f'\nload average {os.getloadavg()[0]:.1f} at the end')


if __name__ == '__main__':
    main()
