"""Latency, throughput, a training step and peak memory of one or many models.

    # one detector: inference and one training step, batch 2
    python tools/analysis_tools/benchmark.py \\
        configs/van/mask-rcnn_van-b0_fpn_1x_coco.py \\
        --shape 800 1333 --batch 2 --modes infer train
    # backbones side by side, interleaved, ratios against the first
    python tools/analysis_tools/benchmark.py \\
        mmattn.VAN "dict(type='mmattn.Conv2Former', arch='n')" \\
        --shape 512 --compare --out-dir work_dirs/bench
    # one block: fp32 against bf16 autocast, eval against its inference form
    python tools/analysis_tools/benchmark.py \\
        configs/van/upernet_van-b2_....py \\
        --amp both --optimize both --compare

Each model spec is a config file, a registered type (``mmattn.VAN``) or a
dict; see :mod:`mmattn.analysis`. Det and seg models run on random images:
inference in ``predict`` mode (with post-processing), the training step is
``loss`` mode with random boxes, masks or label maps, forward and backward.

Without ``--compare`` every case is measured on its own, one after the
other; with it, all cases run in interleaved rounds in this process
(:func:`mmattn.benchmark.compare`), so machine drift cancels and the table
has ratios against the first case of the same mode (inference against
inference, training steps against training steps). ``--keep-freed-memory``
keeps glibc from handing freed memory back to the OS between calls, as
jemalloc or tcmalloc would (:func:`mmattn.benchmark.keep_freed_memory`), so
that no case pays page faults for its fresh tensors. Writes
``benchmark.md``, ``benchmark.json`` and ``benchmark.png`` to ``--out-dir``
when given.
"""
import argparse
import copy
import json
import os
import os.path as osp

import torch
from mmengine.config import DictAction

from mmattn.analysis import (build_model, dummy_batch, forward_fn,
                             load_config, optimize, train_step_fn)
from mmattn.benchmark import (compare, format_table, keep_freed_memory,
                              machine)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('specs', nargs='+',
                        help='config files, registered types or dicts')
    parser.add_argument('--names', nargs='+', help='a name per spec')
    parser.add_argument('--shape', type=int, nargs='+', default=[224],
                        help='input H W (one value: square)')
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--modes', nargs='+', choices=['infer', 'train'],
                        default=['infer'])
    parser.add_argument('--optimize', choices=['no', 'yes', 'both'],
                        default='no', help='mmattn.models.optimize_for_'
                        'inference() (inference only)')
    parser.add_argument('--amp', choices=['fp32', 'bf16', 'both'],
                        default='fp32', help='bf16 autocast')
    parser.add_argument('--device', default=None,
                        help='cpu or cuda; defaults to cuda where present')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--no-memory', action='store_true')
    parser.add_argument('--compare', action='store_true',
                        help='interleave all cases; ratios against the first '
                        'case of the same mode')
    parser.add_argument('--keep-freed-memory', action='store_true',
                        help="keep freed memory in the process (glibc "
                        "mallopt), as jemalloc or tcmalloc do")
    parser.add_argument('--out-dir', help='write .md, .json and .png here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override keys of every config')
    args = parser.parse_args(argv)
    if len(args.shape) not in (1, 2):
        parser.error('--shape takes H or H W')
    if args.names and len(args.names) != len(args.specs):
        parser.error('--names needs one name per spec')
    return args


def _label(spec):
    """Config name, or the type (and ``arch``) of a bare module."""
    if spec.endswith('.py'):
        return osp.splitext(osp.basename(spec))[0]
    model = load_config(spec).model
    name = model.type.split('.')[-1]
    return f"{name}-{model.arch}" if 'arch' in model else name


def _autocast(fn, device, dtype):
    if dtype is None:
        return fn

    def run():
        with torch.autocast(device.type, dtype=dtype):
            return fn()

    return run


def _no_grad(fn):

    def run():
        with torch.no_grad():
            return fn()

    return run


def build_cases(args, device):
    """``{name: callable}`` for every spec × mode × inference form ×
    precision."""
    shape = args.shape * 2 if len(args.shape) == 1 else args.shape
    names = args.names or [_label(s) for s in args.specs]
    forms = {'no': [False], 'yes': [True],
             'both': [False, True]}[args.optimize]
    dtypes = {'fp32': [None], 'bf16': [torch.bfloat16],
              'both': [None, torch.bfloat16]}[args.amp]
    cases, modes, notes = {}, {}, []
    for name, spec in zip(names, args.specs):
        model = build_model(load_config(spec, args.cfg_options), device)
        for mode in args.modes:
            for optimized in forms if mode == 'infer' else [False]:
                net = model
                if mode == 'train':
                    net = copy.deepcopy(model)
                    net.train()
                elif optimized:
                    net = copy.deepcopy(model)
                    if not optimize(net):
                        notes.append(f'{name} has no inference form: '
                                     f'"optimized" runs it unchanged')
                batch = dummy_batch(net, shape, args.batch,
                                    with_gt=mode == 'train', device=device)
                if mode == 'infer':
                    fn = _no_grad(forward_fn(net, batch))
                else:
                    fn = train_step_fn(net, batch)
                for dtype in dtypes:
                    tags = [mode] + ['optimized'] * optimized + ['bf16'] * (
                        dtype is not None)
                    case = f"{name} {' '.join(tags)}"
                    cases[case] = _autocast(fn, device, dtype)
                    modes[case] = mode
    return cases, modes, notes


def plot(results, path, title):
    """Bar chart: median time with min-max whiskers, and peak memory."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    names = [r.name for r in results]
    med = [r.median * 1e3 for r in results]
    err = [[(r.median - r.min) * 1e3 for r in results],
           [(r.max - r.median) * 1e3 for r in results]]
    has_mem = all(r.peak_bytes is not None for r in results)
    fig, axes = plt.subplots(
        1, 2 if has_mem else 1, squeeze=False,
        figsize=(6 + 3 * has_mem, 1.2 + 0.45 * len(results)))
    ax = axes[0][0]
    ax.barh(names, med, xerr=err, color='tab:blue', capsize=3)
    ax.set_xlabel('time per call (ms), median with min-max')
    ax.invert_yaxis()
    if has_mem:
        ax = axes[0][1]
        ax.barh(names, [r.peak_bytes / 2**20 for r in results],
                color='tab:orange')
        ax.set_xlabel('peak memory (MiB)')
        ax.set_yticklabels([])
        ax.invert_yaxis()
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(args):
    """Measure; returns ``(results, markdown, settings)``."""
    if args.keep_freed_memory:
        keep_freed_memory()
    device = torch.device(args.device or (
        'cuda' if torch.cuda.is_available() else 'cpu'))
    cases, modes, notes = build_cases(args, device)
    kwargs = dict(warmup=args.warmup, repeats=args.repeats,
                  memory=not args.no_memory, device=device)
    if args.compare:
        results = compare(cases, **kwargs)
    else:
        results = [compare({k: v}, **kwargs)[0] for k, v in cases.items()]
    settings = dict(
        shape=args.shape * 2 if len(args.shape) == 1 else args.shape,
        batch=args.batch, device=str(device), warmup=args.warmup,
        repeats=args.repeats, interleaved=args.compare,
        freed_memory_kept=args.keep_freed_memory, **machine())
    if device.type == 'cuda':
        settings['gpu'] = torch.cuda.get_device_name(device)
    header = ', '.join(f'{k}={v}' for k, v in settings.items())
    # Inference and training steps are compared within their own mode.
    table = format_table(results, batch_size=args.batch,
                         ratios=args.compare,
                         groups=[modes[r.name] for r in results])
    markdown = '\n'.join([header, '', table] + [f'\nnote: {n}' for n in notes])
    return results, markdown, settings


def main(argv=None):
    args = parse_args(argv)
    results, markdown, settings = run(args)
    print(markdown)
    if args.out_dir:
        os.makedirs(args.out_dir, exist_ok=True)
        with open(osp.join(args.out_dir, 'benchmark.md'), 'w') as f:
            f.write(markdown + '\n')
        with open(osp.join(args.out_dir, 'benchmark.json'), 'w') as f:
            json.dump(dict(settings=settings,
                           results=[r.to_dict() for r in results]), f,
                      indent=2)
        plot(results, osp.join(args.out_dir, 'benchmark.png'),
             f"batch {settings['batch']}, {tuple(settings['shape'])}, "
             f"{settings['device']}")


if __name__ == '__main__':
    main()
