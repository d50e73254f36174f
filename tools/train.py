"""Train an mmdet or mmseg model; ``default_scope`` says which host.

Takes the hosts' arguments::

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--cfg-options k=v ...]
        [--launcher {none,pytorch,slurm,mpi}]

Distributed: ``bash tools/dist_train.sh CONFIG NUM_PROCS`` (torchrun); nccl
on GPUs, gloo on CPU (SyncBN is then converted to BN, with a log line).
"""
import argparse
import os
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or, with no value, from the '
        'latest checkpoint in the work dir (none there: from scratch)')
    parser.add_argument(
        '--amp', action='store_true',
        help='mixed precision: fp16 with loss scaling on CUDA, bf16 on CPU')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the lr linearly by the actual total batch (world size x '
        'batch per GPU) over the one the config is set for')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value (xxx=[a,b] for lists)')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    # torchrun sets LOCAL_RANK; torch.distributed.launch passes --local-rank.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    args = parse_args(argv)
    from mmattn.runner import (ConfigError, add_exact_resume, build_runner,
                               enable_amp, enable_auto_scale_lr, prepare_cfg,
                               resolve_resume)
    try:
        cfg, _ = prepare_cfg(args.config, args.launcher, args.cfg_options,
                             args.work_dir)
        resolve_resume(cfg, args.resume)
        if args.auto_scale_lr:
            enable_auto_scale_lr(cfg)
    except (ConfigError, FileNotFoundError) as error:
        sys.exit(f'error: {error}')
    add_exact_resume(cfg)
    if args.amp:
        enable_amp(cfg)
    runner = build_runner(cfg)
    runner.train()


if __name__ == '__main__':
    main()
