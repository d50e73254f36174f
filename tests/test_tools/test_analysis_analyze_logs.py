import json

import pytest

from analysis_tools import load, read_png

analyze_logs = load('analyze_logs')


def write_log(path, epoch_based=False, metric='mIoU'):
    """A scalars.json as mmengine writes it: training lines every 10
    iterations, validation lines after iterations 20 and 40 (or epochs)."""
    path.parent.mkdir(parents=True)
    lines = []
    for it in range(10, 41, 10):
        record = dict(lr=1e-3 * it / 40, loss=2.0 / it, time=0.5 + it / 100,
                      iter=it, step=it)
        if epoch_based:
            record['epoch'] = 1 + (it - 1) // 20
        lines.append(record)
        if it % 20 == 0:
            val_step = it // 20 if epoch_based else it
            lines.append({metric: it / 2, 'aAcc': 90.0, 'step': val_step})
    path.write_text('\n'.join(json.dumps(r) for r in lines) + '\n')


def test_plot_curve_of_two_runs(tmp_path, capsys):
    write_log(tmp_path / 'a' / '20250101_000000' / 'vis_data' / 'scalars.json')
    write_log(tmp_path / 'b' / 'vis_data' / 'scalars.json', epoch_based=True)
    out = tmp_path / 'curves.png'
    analyze_logs.main(['plot_curve', str(tmp_path / 'a'), str(tmp_path / 'b'),
                       '--legend', 'iter-run', 'epoch-run', '--out', str(out)])
    read_png(out)
    printed = capsys.readouterr().out
    assert 'iter-run: last loss=0.05, lr=0.001, mIoU=20' in printed

    data = analyze_logs.plot_curves([str(tmp_path / 'b')], out=str(out))
    steps, values = data['b']['mIoU']
    assert steps == [20, 40] and values == [10, 20]  # epochs -> iterations
    assert list(data['b']) == ['loss', 'lr', 'mIoU']  # the default keys


def test_default_keys_prefer_main_metrics():
    val = [{'coco/bbox_mAP': 0.1, 'coco/bbox_mAP_50': 0.2,
            'coco/segm_mAP': 0.1, 'step': 1}]
    assert analyze_logs.default_keys(val) == [
        'loss', 'lr', 'coco/bbox_mAP', 'coco/segm_mAP']


def test_unknown_key_and_missing_log_are_named(tmp_path):
    write_log(tmp_path / 'a' / 'vis_data' / 'scalars.json')
    with pytest.raises(KeyError, match='acc_top1'):
        analyze_logs.plot_curves([str(tmp_path / 'a')], keys=['acc_top1'],
                                 out=str(tmp_path / 'x.png'))
    with pytest.raises(FileNotFoundError, match='no vis_data'):
        analyze_logs.find_log(str(tmp_path / 'nothing'))


def test_cal_train_time(tmp_path, capsys):
    write_log(tmp_path / 'a' / 'vis_data' / 'scalars.json')
    analyze_logs.main(['cal_train_time', str(tmp_path / 'a')])
    assert '0.750 s/iter mean, 0.750 median, 0.600-0.900 over 4' in \
        capsys.readouterr().out
