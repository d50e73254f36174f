"""The coordinate attention paper's comparison on MobileNetV2: the baseline,
+ SE, + CBAM and + CA, with parameters, MAdds and CPU latency, each with its
ratio to the baseline.

    python tools/analysis_tools/ca_comparison.py
    python tools/analysis_tools/ca_comparison.py --shape 224 --repeats 20 \\
        --json work_dirs/ca_comparison.json

Each model is ``mmattn.MobileNetV2`` with the attention block in every
inverted residual block that expands (after the depthwise conv, as in the
official ``mbv2_ca.py``) and the 1000-class classifier (global average
pool, linear), as the paper counts them. MAdds are mmengine's FLOP count
(one multiply-add is one FLOP, as in ``get_flops.py``) of one image at
``--shape``. Latency is one image in eval mode without gradients, the four
models timed in interleaved rounds (:func:`mmattn.benchmark.compare`), so
that the ratios come from one run even on a busy machine. The paper reports
latency on a phone (and the CA README params and MAdds, printed beside
ours); this measures the CPU it runs on.
"""
import argparse
import json

import torch
from torch import nn

from mmattn.analysis import complexity, format_count
from mmattn.benchmark import compare, describe_machine, machine
from mmattn.models.backbones import MobileNetV2

#: The comparison: name, attention config, the CA README's params / MAdds.
VARIANTS = [
    ('MobileNetV2', None, '3.5M', '300M'),
    ('+ SE', dict(type='mmattn.SE', ratio=24, act_cfg=dict(type='ReLU6')),
     '3.89M', '300M'),
    ('+ CBAM', dict(type='mmattn.CBAM', ratio=24), '3.89M', '300M'),
    ('+ CA', dict(type='mmattn.CoordAttention'), '3.95M', '310M'),
]


class Classifier(nn.Module):
    """MobileNetV2 up to ``conv2``, global average pool, linear."""

    def __init__(self, attention, widen_factor=1., num_classes=1000):
        super().__init__()
        self.backbone = MobileNetV2(widen_factor=widen_factor,
                                    attention=attention, out_indices=7)
        self.fc = nn.Linear(self.backbone.last_channels, num_classes)

    def forward(self, x):
        (x, ) = self.backbone(x)
        return self.fc(x.mean((2, 3)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--shape', type=int, nargs='+', default=[224],
                        help='input H W (one value: square)')
    parser.add_argument('--widen-factor', type=float, default=1.)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--threads', type=int,
                        help='torch threads (default: torch\'s)')
    parser.add_argument('--json', help='also write the results here')
    args = parser.parse_args(argv)
    if len(args.shape) not in (1, 2):
        parser.error('--shape takes H or H W')
    args.shape = args.shape * 2 if len(args.shape) == 1 else args.shape
    return args


def measure(args):
    """One row per variant: params, MAdds, latency (s) and the paper's."""
    torch.manual_seed(0)
    models = {name: Classifier(attention, args.widen_factor).eval()
              for name, attention, _, _ in VARIANTS}
    x = torch.randn(1, 3, *args.shape)
    counts = {name: complexity(model, dict(inputs=x)) for name, model in
              models.items()}

    def run(model):
        def call():
            with torch.no_grad():
                model(x)
        return call

    timings = compare({name: run(model) for name, model in models.items()},
                      warmup=args.warmup, repeats=args.repeats, memory=False)
    return [dict(model=name, params=counts[name]['params'],
                 madds=counts[name]['flops'], latency=timing.median,
                 paper_params=params, paper_madds=madds)
            for (name, _, params, madds), timing in zip(VARIANTS, timings)]


def format_rows(rows, shape):
    base = rows[0]
    lines = [f'| model | params | / baseline | MAdds ({shape[0]}×{shape[1]}) '
             f'| / baseline | CPU latency | / baseline | CA README params '
             f'| CA README MAdds |',
             '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['params']:,} | "
            f"{r['params'] / base['params']:.3f}× | "
            f"{format_count(r['madds'])} | "
            f"{r['madds'] / base['madds']:.3f}× | "
            f"{r['latency'] * 1e3:.2f} ms | "
            f"{r['latency'] / base['latency']:.2f}× | "
            f"{r['paper_params']} | {r['paper_madds']} |")
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(describe_machine())
    print(f'MobileNetV2 {args.widen_factor} with a 1000-class classifier, '
          f'batch 1, {args.repeats} interleaved rounds '
          f'({args.warmup} warm-up)\n')
    rows = measure(args)
    print(format_rows(rows, args.shape))
    print(f"\nload average {machine()['load_average']:.1f} at the end")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(machine=machine(), shape=args.shape, rows=rows), f,
                      indent=2)


if __name__ == '__main__':
    main()
