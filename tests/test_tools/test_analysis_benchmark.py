import json

import pytest

from analysis_tools import load, markdown_rows, read_png
from conftest import REPO, config_path, run_tool

benchmark = load('benchmark')
CBAM = "dict(type='mmattn.CBAM', in_channels=16)"


def test_compare_modes_and_precisions_writes_table_json_and_chart(
        tmp_path, capsys):
    benchmark.main([CBAM, 'mmattn.LKA', '--cfg-options',
                    'model.in_channels=16', '--names', 'cbam', 'lka',
                    '--shape', '12', '--batch', '2',
                    '--modes', 'infer', 'train', '--amp', 'both',
                    '--warmup', '1', '--repeats', '2', '--compare',
                    '--out-dir', str(tmp_path)])
    names = [
        f'{model} {mode}{tag}' for model in ('cbam', 'lka')
        for mode in ('infer', 'train') for tag in ('', ' bf16')
    ]
    table = (tmp_path / 'benchmark.md').read_text()
    rows = markdown_rows(table)
    assert [r[0] for r in rows] == names
    assert rows[0][4] == '1.00×' and all(r[4].endswith('×') for r in rows)
    # Each mode against its own first case (cbam infer, cbam train).
    medians = {r[0]: r for r in rows}
    assert medians['cbam train'][4] == '1.00×'
    data = {r['name']: r for r in json.loads(
        (tmp_path / 'benchmark.json').read_text())['results']}
    for model in ('cbam', 'lka'):
        for mode in ('infer', 'train'):
            for tag in ('', ' bf16'):
                name = f'{model} {mode}{tag}'
                ratio = data[name]['median'] / data[f'cbam {mode}']['median']
                assert medians[name][4] == f'{ratio:.2f}×', name
    assert 'interleaved=True' in table and 'batch=2' in table
    assert table.strip() in capsys.readouterr().out

    data = json.loads((tmp_path / 'benchmark.json').read_text())
    assert [r['name'] for r in data['results']] == names
    for r in data['results']:
        assert len(r['times']) == 2 and r['peak_bytes'] > 0
    assert data['settings']['shape'] == [12, 12]
    read_png(tmp_path / 'benchmark.png')


def test_without_compare_no_ratios_and_inference_form_note(capsys):
    benchmark.main([CBAM, '--shape', '8', '--optimize', 'both',
                    '--warmup', '0', '--repeats', '1', '--no-memory'])
    out = capsys.readouterr().out
    rows = markdown_rows(out)
    assert [r[0] for r in rows] == ['CBAM infer', 'CBAM infer optimized']
    assert '/ first' not in out and 'memory' not in out.split('\n\n')[1]
    assert 'CBAM has no inference form' in out


@pytest.mark.slow
@pytest.mark.parametrize('config', [
    ('toy', 'fpn_r50_toy-ade20k.py'),
    ('toy', 'mask-rcnn_r50_fpn_toy-coco.py'),
])
def test_det_and_seg_configs_infer_and_train(config, capsys):
    benchmark.main([config_path(*config), '--shape', '64', '--modes', 'infer',
                    'train', '--warmup', '0', '--repeats', '1'])
    rows = markdown_rows(capsys.readouterr().out)
    name = config[1][:-3]
    assert [r[0] for r in rows] == [f'{name} infer', f'{name} train']
    assert all(r[-1].endswith('MiB') for r in rows)


def test_keep_freed_memory_is_recorded(tmp_path):
    """In a subprocess: the allocator setting outlives the call."""
    run_tool('analysis_tools/benchmark.py', CBAM, '--shape', '8',
             '--warmup', '0', '--repeats', '1', '--no-memory',
             '--keep-freed-memory', '--out-dir', tmp_path, cwd=REPO)
    settings = json.loads((tmp_path / 'benchmark.json').read_text())
    assert settings['settings']['freed_memory_kept'] is True
