"""Test (evaluate) an mmdet or mmseg model; the config's ``default_scope``
picks the host.

Takes the hosts' arguments::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE|DIR]
        [--show] [--show-dir DIR] [--wait-time S] [--tta]
        [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]

``--out``: mmdet dumps the raw results to a ``.pkl`` file; mmseg writes the
predicted label maps to a directory. ``--tta``: test-time augmentation as
the hosts' tools do it (mmseg: VAN-Segmentation's multi-scale + flip test,
0.5-1.75 × the test scale; mmdet: flips, boxes merged with NMS), from the
config's ``tta_model``/``tta_pipeline`` where it has them. The checkpoint
loads strictly (a key or shape that does not fit is an error listing them),
through the safe loader.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save evaluation logs')
    parser.add_argument(
        '--out', help='mmdet: .pkl file for the raw results; mmseg: '
        'directory for the predicted label maps')
    parser.add_argument('--show', action='store_true', help='show results')
    parser.add_argument('--show-dir', help='directory for painted images')
    parser.add_argument('--wait-time', type=float, default=2,
                        help='seconds each shown image stays')
    parser.add_argument(
        '--tta', action='store_true',
        help='test-time augmentation (tta_model / tta_pipeline)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value (xxx=[a,b] for lists)')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def trigger_visualization_hook(cfg, args, scope):
    """Turn on the host's visualization hook for --show / --show-dir."""
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise ValueError('--show/--show-dir need default_hooks.visualization'
                         ' in the config')
    hook['draw'] = True
    if args.show:
        hook['show'], hook['wait_time'] = True, args.wait_time
    if args.show_dir:
        if scope == 'mmdet':
            hook['test_out_dir'] = args.show_dir
        else:
            cfg.visualizer['save_dir'] = args.show_dir


def main(argv=None):
    args = parse_args(argv)
    from mmattn.runner import (ConfigError, build_runner, enable_tta,
                               prepare_cfg)
    if not osp.isfile(args.checkpoint):
        sys.exit(f'error: checkpoint not found: {args.checkpoint!r}')
    try:
        cfg, scope = prepare_cfg(args.config, args.launcher, args.cfg_options,
                                 args.work_dir, mode='test')
        if args.tta:
            enable_tta(cfg, scope)
    except (ConfigError, FileNotFoundError) as error:
        sys.exit(f'error: {error}')
    cfg.load_from = None  # loaded strictly below
    if args.show or args.show_dir:
        trigger_visualization_hook(cfg, args, scope)
    if args.out and scope == 'mmseg':
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    elif args.out and not args.out.endswith(('.pkl', '.pickle')):
        sys.exit(f'error: --out must be a .pkl or .pickle file for mmdet, '
                 f'got {args.out!r}')

    runner = build_runner(cfg)
    runner.load_checkpoint(args.checkpoint, map_location='cpu', strict=True)
    if args.out and scope == 'mmdet':
        from mmdet.evaluation import DumpDetResults
        runner.test_evaluator.metrics.append(
            DumpDetResults(out_file_path=args.out))
    runner.test()


if __name__ == '__main__':
    main()
