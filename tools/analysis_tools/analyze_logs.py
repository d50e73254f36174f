"""Loss, learning-rate and metric curves from mmengine's JSON scalar logs.

    python tools/analysis_tools/analyze_logs.py plot_curve \\
        work_dirs/a work_dirs/b --keys loss lr mIoU --legend VAN-B0 R50 \\
        --out curves.png
    python tools/analysis_tools/analyze_logs.py cal_train_time work_dirs/a

A run is a ``vis_data/scalars.json`` file (one JSON record per line, as
mmengine's ``LocalVisBackend`` writes it), or a directory holding one: the
newest under it is taken. Training records are plotted against the global
iteration (``step``); validation records too, with epochs converted to the
last iteration of that epoch for epoch-based runs. Without ``--keys`` the
plot shows ``loss``, ``lr`` and the main metrics (mIoU, bbox/segm mAP).
"""
import argparse
import glob
import json
import os.path as osp
import statistics

MAIN_METRICS = ('mIoU', 'bbox_mAP', 'segm_mAP')


def find_log(run):
    """The scalars JSON file of ``run`` (a file, or the newest below a dir)."""
    if osp.isfile(run):
        return run
    found = glob.glob(osp.join(run, '**', 'vis_data', 'scalars.json'),
                      recursive=True)
    if not found:
        raise FileNotFoundError(f'no vis_data/scalars.json under {run}')
    return max(found, key=osp.getmtime)


def load_log(path):
    """``(train, val)``: lists of records; val steps in iterations."""
    train, val = [], []
    with open(path) as f:
        for line in f:
            if line.strip():
                record = json.loads(line)
                (train if 'lr' in record or 'loss' in record else val).append(
                    record)
    epoch_end = {}
    for r in train:
        if 'epoch' in r:
            epoch_end[r['epoch']] = max(epoch_end.get(r['epoch'], 0),
                                        r['step'])
    if epoch_end:  # epoch-based run: val records count epochs
        for r in val:
            r['step'] = epoch_end.get(r['step'], r['step'])
    return train, val


def default_keys(val):
    keys = {k for r in val for k in r if k != 'step'}
    main = sorted(k for k in keys if k.endswith(MAIN_METRICS))
    return ['loss', 'lr'] + (main or sorted(keys))


def plot_curves(runs, keys=None, legend=None, out='curves.png', title=None):
    """One subplot per key, one line per run; writes ``out``.

    Returns:
        dict: ``{legend: {key: (steps, values)}}`` that was plotted.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    logs = [load_log(find_log(run)) for run in runs]
    legend = legend or [osp.basename(osp.normpath(r)) for r in runs]
    if len(legend) != len(runs):
        raise ValueError('legend needs one name per run')
    keys = keys or default_keys([r for _, val in logs for r in val])
    fig, axes = plt.subplots(1, len(keys), squeeze=False,
                             figsize=(4 * len(keys), 3.2))
    data = {name: {} for name in legend}
    for ax, key in zip(axes[0], keys):
        for name, (train, val) in zip(legend, logs):
            records = [r for r in train + val if key in r]
            if not records:
                continue
            steps = [r['step'] for r in records]
            values = [r[key] for r in records]
            data[name][key] = (steps, values)
            style = 'o-' if len(records) < 20 else '-'
            ax.plot(steps, values, style, label=name, markersize=3)
        ax.set_title(key)
        ax.set_xlabel('iteration')
        ax.grid(alpha=0.3)
        if key == 'lr':
            ax.ticklabel_format(axis='y', style='sci', scilimits=(-2, 2))
    missing = [k for k in keys if not any(k in d for d in data.values())]
    if missing:
        plt.close(fig)
        found = sorted({k for t, v in logs for r in t + v for k in r})
        raise KeyError(f'no run logged {missing}; keys found: {found}')
    axes[0][0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return data


def train_time(run):
    """Mean and median seconds per iteration, slowest and fastest."""
    times = [r['time'] for r in load_log(find_log(run))[0] if 'time' in r]
    if not times:
        raise KeyError(f'{run}: no "time" in the training records')
    return dict(mean=statistics.fmean(times), median=statistics.median(times),
                min=min(times), max=max(times), records=len(times))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='task', required=True)
    curve = sub.add_parser('plot_curve', help='plot curves to a PNG')
    curve.add_argument('runs', nargs='+', help='scalars.json or work dirs')
    curve.add_argument('--keys', nargs='+', help='what to plot')
    curve.add_argument('--legend', nargs='+', help='a name per run')
    curve.add_argument('--title')
    curve.add_argument('--out', default='curves.png')
    timing = sub.add_parser('cal_train_time', help='seconds per iteration')
    timing.add_argument('runs', nargs='+')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.task == 'plot_curve':
        data = plot_curves(args.runs, args.keys, args.legend, args.out,
                           args.title)
        for name, curves in data.items():
            last = ', '.join(f'{k}={v[-1]:.4g}'
                             for k, (_, v) in curves.items())
            print(f'{name}: last {last}')
        print(f'saved {args.out}')
    else:
        for run in args.runs:
            t = train_time(run)
            print(f"{run}: {t['mean']:.3f} s/iter mean, {t['median']:.3f} "
                  f"median, {t['min']:.3f}-{t['max']:.3f} over "
                  f"{t['records']} logged iterations")


if __name__ == '__main__':
    main()
