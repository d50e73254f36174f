"""Peak memory and time of the heavy attention blocks against their
references, with the same weights, as ratios from one interleaved run.

- NonLocal (``embedded_gaussian``, on SDPA) against mmcv's ``NonLocal2d``,
  1×256×128×128, eval. Target: memory ≤ 0.25×, time ≤ 1.0×.
- CrissCross (one pass, no HW×HW tensor) against mmcv's
  ``CrissCrossAttention``, 1×512×97×97, eval. Target: memory ≤ 1.0×,
  time ≤ 1.0×.
- PAM (on SDPA) against the straightforward bmm formulation of the
  official ``PAM_Module`` (energy, softmax, bmm), 1×512×64×64, eval and a
  training step (forward + backward). Target: memory ≤ 0.25×.

Each comparison is one :func:`mmattn.benchmark.compare` call: rounds
interleave the two cases, so drift of a shared machine cancels in the
ratios. Peak memory is the extra tensor memory of one call (inputs and
weights excluded), see :mod:`mmattn.benchmark`. The outputs are checked to
agree before timing.

Example::

    python tools/analysis_tools/benchmark_attention_memory.py --repeats 5
"""
import argparse

import torch
from mmcv.cnn import NonLocal2d
from mmcv.ops import CrissCrossAttention

from mmattn.benchmark import compare, describe_machine, format_table
from mmattn.models.attention.criss_cross import CrissCross
from mmattn.models.attention.danet import PAM
from mmattn.models.attention.non_local import NonLocal

# block -> (memory target, time target) as ratios to the reference
TARGETS = dict(non_local=(0.25, 1.0), criss_cross=(1.0, 1.0), pam=(0.25, None))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--blocks', nargs='+', choices=list(TARGETS),
                        default=list(TARGETS))
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch.set_num_threads; default: torch default')
    parser.add_argument('--size-divisor', type=int, default=1,
                        help='divide H and W (a quick smoke run)')
    return parser.parse_args(argv)


def randomised(module):
    """Random weights (the zero-init outputs would make the work trivial)."""
    with torch.no_grad():
        for param in module.parameters():
            param.normal_(0, 0.02)
    return module.eval()


def official_pam(block):
    """``PAM_Module.forward`` of the official DANet code: explicit bmm."""

    def forward(x):
        b, c, h, w = x.shape
        query = block.query_conv(x).view(b, -1, h * w).permute(0, 2, 1)
        key = block.key_conv(x).view(b, -1, h * w)
        attention = torch.softmax(torch.bmm(query, key), dim=-1)
        value = block.value_conv(x).view(b, -1, h * w)
        out = torch.bmm(value, attention.permute(0, 2, 1))
        return block.gamma * out.view(b, c, h, w) + x

    return forward


def pairs():
    """``{block: (shape, reference name, reference fn, ours)}``."""
    torch.manual_seed(0)
    mmcv_nl = randomised(NonLocal2d(256))
    nl = NonLocal(256).eval()
    nl.load_state_dict(mmcv_nl.state_dict())
    mmcv_cc = randomised(CrissCrossAttention(512))
    cc = CrissCross(512, recurrence=1).eval()
    cc.load_state_dict(mmcv_cc.state_dict())
    pam = randomised(PAM(512))
    return dict(
        non_local=((1, 256, 128, 128), 'mmcv NonLocal2d', mmcv_nl, nl),
        criss_cross=((1, 512, 97, 97), 'mmcv CrissCrossAttention', mmcv_cc,
                     cc),
        pam=((1, 512, 64, 64), 'bmm (official PAM_Module)',
             official_pam(pam), pam))


def no_grad(fn, x):
    def run():
        with torch.no_grad():
            return fn(x)
    return run


def train_step(fn, x):
    def run():
        fn(x.detach().requires_grad_()).sum().backward()
    return run


def verdict(what, ratio, target):
    text = f'{what} {ratio:.2f}×'
    if target is not None:
        met = 'met' if ratio <= target else 'NOT met'
        text += f' (target ≤ {target}: {met})'
    return text


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(describe_machine())
    table = pairs()
    for block in args.blocks:
        shape, ref_name, reference, ours = table[block]
        torch.manual_seed(0)
        n, c, h, w = shape
        shape = (n, c, h // args.size_divisor, w // args.size_divisor)
        x = torch.randn(*shape)
        with torch.no_grad():
            diff = (ours(x) - reference(x)).abs().max().item()
        modes = [('eval', no_grad)]
        if block == 'pam':
            modes.append(('train step', train_step))
        for mode, wrap in modes:
            results = compare({ref_name: wrap(reference, x),
                               f'mmattn {type(ours).__name__}': wrap(ours, x)},
                              warmup=args.warmup, repeats=args.repeats)
            # the targets are stated at full size
            mem_target, time_target = TARGETS[block] \
                if args.size_divisor == 1 else (None, None)
            ref, res = results
            print(f'\n{type(ours).__name__} {mode}, {tuple(shape)}, '
                  f'{args.repeats} interleaved rounds, max |difference| '
                  f'{diff:.1e}\n')
            print(format_table(results))
            print('\n' + verdict('memory', res.peak_bytes / ref.peak_bytes,
                                  mem_target) + ', ' +
                  verdict('time', res.median / ref.median, time_target))


if __name__ == '__main__':
    main()
