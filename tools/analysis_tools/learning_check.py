"""Do the models learn? Train the toy configs through tools/train.py and
compare them with chance.

    python tools/analysis_tools/learning_check.py                 # all runs
    python tools/analysis_tools/learning_check.py --runs R50 VAN-B0 --iters 40

Trains, one after another with the same seed and the same number of
iterations, each toy config below on CPU (data written afresh by
``tools/make_toy_data.py``), then writes to ``--work-dir``:

- ``learning_check.md`` and ``.json``: final mIoU or bbox/segm mAP, the
  chance level, and wall time of each run;
- ``curves_seg.png``, ``curves_det.png``: loss and metric curves
  (``analyze_logs.py``).

Chance: for segmentation, the mIoU of predicting each labelled pixel's
class uniformly at random (computed from the validation label maps; the
expected IoU of class c with pixel share p_c among K classes is
``(p_c/K) / (p_c + 1/K - p_c/K)``); for detection, a mAP of 0. A run passes
when its metric is at least ``--margin`` times chance (segmentation) or
above ``--min-map`` (detection). The exit status is 1 if any run fails.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from analyze_logs import find_log, load_log, plot_curves  # noqa: E402

# label, config glob (relative to configs/), task
RUNS = [
    ('VAN-B0', 'toy/fpn_van-b0*_toy-ade20k.py', 'seg'),
    ('Conv2Former-N', 'toy/fpn_conv2former-n*_toy-ade20k.py', 'seg'),
    ('R50', 'toy/fpn_r50_toy-ade20k.py', 'seg'),
    ('R50+CoordAttention', 'toy/fpn_r50-coord*_toy-ade20k.py', 'seg'),
    ('R50+GlobalContext', 'toy/fpn_r50-gcb*_toy-ade20k.py', 'seg'),
    ('VAN-B0 Mask R-CNN', 'toy/mask-rcnn_van-b0*_toy-coco.py', 'det'),
    ('R50 Mask R-CNN', 'toy/mask-rcnn_r50_fpn_toy-coco.py', 'det'),
    ('MobileNetV2 DeepLabV3', 'toy/deeplabv3_mobilenet-v2-d8_toy-ade20k.py',
     'seg'),
    ('MobileNetV2 SSDLite', 'toy/ssdlite_mobilenet-v2_toy-coco.py', 'det'),
]
METRICS = {'seg': ['mIoU'], 'det': ['coco/bbox_mAP', 'coco/segm_mAP']}


def find_config(pattern):
    found = sorted(glob.glob(osp.join(ROOT, 'configs', pattern)))
    if len(found) != 1:
        raise FileNotFoundError(
            f'configs/{pattern} matches {len(found)} files: {found}')
    return found[0]


def seg_chance(data_root):
    """Expected mIoU (in %) of uniformly random predictions."""
    import cv2
    paths = glob.glob(osp.join(data_root, 'annotations', 'validation',
                               '*.png'))
    counts = {}
    for path in paths:
        labels = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        for value, n in zip(*np.unique(labels[labels > 0],
                                       return_counts=True)):
            counts[value] = counts.get(value, 0) + n
    k = len(counts)
    p = np.array(list(counts.values()), float)
    p /= p.sum()
    return float(100 * np.mean((p / k) / (p + 1 / k - p / k)))


def make_data(data_dir):
    """(Re)write the default toy sets: deterministic, and seconds, so an
    older set left in ``data_dir`` is never what gets measured."""
    subprocess.run([sys.executable,
                    osp.join(ROOT, 'tools', 'make_toy_data.py'),
                    '--out', data_dir], check=True)


def train(config, work_dir, iters, seed, vals=1, extra=()):
    """Run tools/train.py from the current directory (where the configs'
    relative ``data/`` roots resolve), validating ``vals`` times, with the
    ``extra`` options last; returns wall seconds."""
    options = [f'randomness.seed={seed}', f'train_cfg.max_iters={iters}',
               f'train_cfg.val_interval={max(-(-iters // vals), 1)}',
               f'default_hooks.logger.interval={min(10, max(iters // 10, 1))}',
               *extra]
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config,
           '--work-dir', work_dir, '--cfg-options', *options]
    start = time.perf_counter()
    with open(osp.join(work_dir, 'train.out'), 'w') as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode:
        raise RuntimeError(f'training failed, see '
                           f"{osp.join(work_dir, 'train.out')}")
    return time.perf_counter() - start


def final_metrics(work_dir, task):
    _, val = load_log(find_log(work_dir))
    if not val:
        raise RuntimeError(f'{work_dir}: no validation record')
    return {k: val[-1][k] for k in METRICS[task] if k in val[-1]}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', nargs='+',
                        help='labels to run (default all)')
    parser.add_argument('--iters', type=int, default=None,
                        help='iterations per run (default: the config)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--vals', type=int, default=3,
                        help='validations per segmentation run (curves)')
    parser.add_argument('--work-dir', default='work_dirs/learning_check')
    parser.add_argument('--data-dir', default='data')
    parser.add_argument('--reuse-data', action='store_true',
                        help='train on the toy sets already in --data-dir '
                        '(default: write them afresh)')
    parser.add_argument('--margin', type=float, default=2.0,
                        help='seg: mIoU must reach margin × chance')
    parser.add_argument('--min-map', type=float, default=0.1,
                        help='det: bbox mAP must reach this')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='passed to every run')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    runs = [r for r in RUNS if not args.runs or r[0] in args.runs]
    if args.runs and len(runs) != len(args.runs):
        sys.exit(f'unknown run in {args.runs}; known: {[r[0] for r in RUNS]}')
    if not args.reuse_data:
        make_data(args.data_dir)
    os.makedirs(args.work_dir, exist_ok=True)
    chance = {'seg': seg_chance(osp.join(args.data_dir, 'toy_ade20k')),
              'det': 0.0}
    rows = []
    from mmengine.config import Config
    for label, pattern, task in runs:
        config = find_config(pattern)
        cfg = Config.fromfile(config)
        work_dir = osp.join(args.work_dir, label.replace(' ', '_'))
        os.makedirs(work_dir, exist_ok=True)
        iters = args.iters or cfg.train_cfg.max_iters
        print(f'{label}: {osp.relpath(config, ROOT)}, {iters} iters',
              flush=True)
        seconds = train(config, work_dir, iters, args.seed,
                        args.vals if task == 'seg' else 1,
                        [*_schedule_options(cfg, iters), *args.cfg_options])
        metrics = final_metrics(work_dir, task)
        main_value = metrics.get(METRICS[task][0], 0.0)
        passed = (main_value >= args.margin * chance['seg'] if task == 'seg'
                  else main_value >= args.min_map)
        rows.append(dict(label=label, config=osp.relpath(config, ROOT),
                         task=task, iters=iters, seconds=seconds,
                         metrics=metrics, chance=chance[task], passed=passed,
                         work_dir=work_dir))
        print(f'  {metrics}, {seconds:.0f} s, '
              f"{'ok' if passed else 'NOT above chance'}", flush=True)
    table = format_rows(rows)
    print(table)
    with open(osp.join(args.work_dir, 'learning_check.md'), 'w') as f:
        f.write(table + '\n')
    with open(osp.join(args.work_dir, 'learning_check.json'), 'w') as f:
        json.dump(rows, f, indent=2)
    for task in ('seg', 'det'):
        done = [r for r in rows if r['task'] == task]
        if done:
            out = osp.join(args.work_dir, f'curves_{task}.png')
            plot_curves([r['work_dir'] for r in done], curve_keys(done),
                        [r['label'] for r in done], out,
                        'toy ADE20K' if task == 'seg' else 'toy COCO')
            print(f'saved {out}')
    if not all(r['passed'] for r in rows):
        sys.exit(1)


def curve_keys(rows):
    """Loss and the metrics that at least one of ``rows`` (runs of one task)
    logged: SSDLite logs no ``coco/segm_mAP``."""
    task = rows[0]['task']
    return ['loss'] + [k for k in METRICS[task]
                       if any(k in r['metrics'] for r in rows)]


def _schedule_options(cfg, iters):
    """Stretch or shrink the LR schedule of the loaded config ``cfg`` with
    the run: every scheduler's ``begin`` and ``end`` scale by ``iters /
    max_iters`` (warm-up included, at least one iteration each)."""
    scheds = [(i, s) for i, s in enumerate(cfg.get('param_scheduler') or [])
              if 'begin' in s and 'end' in s]
    new = {}  # old boundary -> new one, kept in order and distinct
    for b in sorted({b for _, s in scheds for b in (s.begin, s.end)}):
        moved = round(b * iters / cfg.train_cfg.max_iters)
        new[b] = max(moved, max(new.values()) + 1) if new else moved
    return [f'param_scheduler.{i}.{key}={new[s[key]]}'
            for i, s in scheds for key in ('begin', 'end')]


def format_rows(rows):
    lines = ['| model | task | iters | mIoU | bbox mAP | segm mAP | chance '
             '| wall time | learns |',
             '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |']
    for r in rows:
        m = r['metrics']

        def cell(key, scale=1):
            return f'{m[key] * scale:.1f}' if key in m else ''

        chance = f"{r['chance']:.1f}" if r['task'] == 'seg' else '0'
        lines.append(
            f"| {r['label']} | {r['task']} | {r['iters']} | {cell('mIoU')} | "
            f"{cell('coco/bbox_mAP', 100)} | {cell('coco/segm_mAP', 100)} | "
            f"{chance} | {r['seconds'] / 60:.1f} min | "
            f"{'yes' if r['passed'] else 'NO'} |")
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
