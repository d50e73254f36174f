"""Params and FLOPs of an mmdet/mmseg model, a backbone or a block.

    python tools/analysis_tools/get_flops.py \\
        configs/van/mask-rcnn_van-b0_fpn_1x_coco.py --shape 800 1333
    python tools/analysis_tools/get_flops.py mmattn.VAN \\
        --cfg-options model.arch=b0 --shape 224
    python tools/analysis_tools/get_flops.py \\
        "dict(type='mmattn.SE', in_channels=256)" --shape 56

Prints a table of the total and of every top-level module (backbone, neck,
heads; ``--depth`` goes deeper), then the ops that could not be counted and
the modules that did not run. FLOPs follow mmengine.analysis (fvcore): one
multiply-add is one FLOP, as in mmdet's and mmseg's tables. Det and seg
models are counted in ``'tensor'`` mode on one random image, as the hosts'
``get_flops.py`` do (post-processing such as NMS is not counted).
"""
import argparse
import json

from mmengine.config import DictAction

from mmattn.analysis import (build_model, complexity, dummy_batch,
                             format_count, load_config)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'config', help='config file, registered type (mmattn.VAN) or dict')
    parser.add_argument('--shape', type=int, nargs='+', default=[224],
                        help='input H W (one value: square)')
    parser.add_argument('--depth', type=int, default=1,
                        help='module depth of the per-module rows')
    parser.add_argument('--json', help='also write the result to this file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. model.arch=b0')
    args = parser.parse_args(argv)
    if len(args.shape) not in (1, 2):
        parser.error('--shape takes H or H W')
    return args


def get_flops(spec, shape, depth=1, cfg_options=None):
    """Build ``spec`` and count it at ``shape`` (H, W); see ``complexity``."""
    model = build_model(load_config(spec, cfg_options))
    batch = dummy_batch(model, shape)
    result = complexity(model, batch, depth)
    result['input_shape'] = list(batch['inputs'].shape)
    return result


def format_result(result):
    """Markdown table, then the caveats."""
    lines = [
        f"input shape: {tuple(result['input_shape'])}", '',
        '| module | params | FLOPs |', '| --- | ---: | ---: |',
        f"| **total** | {format_count(result['params'])} | "
        f"{format_count(result['flops'])} |"
    ]
    for name, params, flops in result['rows']:
        lines.append(f'| {name} | {format_count(params)} | '
                     f'{format_count(flops) if flops else "-"} |')
    if result['unsupported']:
        ops = ', '.join(f'{op} ×{n}'
                        for op, n in sorted(result['unsupported'].items()))
        lines += ['', f'not counted (no FLOP rule in mmengine): {ops}']
    if result['uncalled']:
        lines += ['', f"did not run: {', '.join(result['uncalled'])}"]
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    shape = args.shape * 2 if len(args.shape) == 1 else args.shape
    result = get_flops(args.config, shape, args.depth, args.cfg_options)
    print(format_result(result))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)


if __name__ == '__main__':
    main()
