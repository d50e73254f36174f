import json

import pytest

from analysis_tools import load, markdown_rows
from conftest import config_path

get_flops = load('get_flops')


def test_flops_of_a_grouped_conv_equal_the_analytic_count(tmp_path, capsys):
    spec = ("dict(type='mmengine.Conv2d', in_channels=8, out_channels=16, "
            "kernel_size=3, padding=1, groups=2)")
    out = tmp_path / 'flops.json'
    get_flops.main([spec, '--shape', '10', '12', '--json', str(out)])
    result = json.loads(out.read_text())
    # multiply-adds: out channels × in channels per group × k² × H × W
    assert result['flops'] == 16 * (8 // 2) * 3 * 3 * 10 * 12
    assert result['params'] == 16 * 4 * 9 + 16
    assert result['input_shape'] == [1, 8, 10, 12]
    assert '| **total** | 592 | 69.12K |' in capsys.readouterr().out


def test_rows_per_module_of_a_block():
    result = get_flops.get_flops("dict(type='mmattn.CBAM', in_channels=32)",
                                 (9, 14), depth=2)
    rows = {name: (params, flops) for name, params, flops in result['rows']}
    # the spatial gate: a 7×7 conv from the 2 pooled maps to 1, no bias
    assert rows['spatial_gate.conv'] == (2 * 49, 2 * 49 * 9 * 14)
    top = [n for n in rows if '.' not in n]
    assert result['params'] == sum(rows[n][0] for n in top)
    assert set(result['unsupported']) >= {'aten::sigmoid', 'aten::mul'}


@pytest.mark.slow
def test_detector_config_rows_and_caveats(capsys):
    get_flops.main([config_path('toy', 'mask-rcnn_r50_fpn_toy-coco.py'),
                    '--shape', '96', '128'])
    out = capsys.readouterr().out
    assert 'input shape: (1, 3, 96, 128)' in out
    rows = {r[0]: r for r in markdown_rows(out.split('\n\n')[1])}
    assert {'**total**', 'backbone', 'neck', 'rpn_head',
            'roi_head'} <= set(rows)
    assert rows['backbone'][1] == '23.51M'  # ResNet-50 without its fc
    assert 'not counted' in out  # e.g. NMS, which has no FLOP rule


def test_segmentor_config_rows():
    result = get_flops.get_flops(
        config_path('toy', 'fpn_r50_toy-ade20k.py'), (64, 96))
    rows = {name: flops for name, _, flops in result['rows']}
    assert set(rows) == {'data_preprocessor', 'backbone', 'neck',
                         'decode_head'}
    assert rows['data_preprocessor'] == 0 and all(
        rows[n] > 0 for n in ('backbone', 'neck', 'decode_head'))
    # ops outside the top-level modules count in the total only
    assert 0 <= result['flops'] - sum(rows.values()) < 1e-3 * result['flops']


def test_bad_shape_is_refused():
    with pytest.raises(SystemExit):
        get_flops.parse_args(['mmattn.SE', '--shape', '1', '2', '3'])
