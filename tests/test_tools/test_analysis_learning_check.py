import json

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from analysis_tools import load, markdown_rows, read_png
from conftest import run_tool

learning_check = load('learning_check')


def test_every_run_names_one_config():
    for label, pattern, task in learning_check.RUNS:
        assert learning_check.find_config(pattern).endswith('.py'), label


def test_seg_chance_is_the_expected_iou_of_random_labels(tmp_path):
    ann = tmp_path / 'annotations' / 'validation'
    ann.mkdir(parents=True)
    label = np.zeros((10, 10), np.uint8)  # 0: unlabelled, not counted
    label[:5] = 43  # half of the labelled pixels
    label[5:8] = 116
    label[8:] = 121
    cv2.imwrite(str(ann / 'a.png'), label)
    p = np.array([.5, .3, .2])
    expected = 100 * np.mean((p / 3) / (p + 1 / 3 - p / 3))
    assert learning_check.seg_chance(str(tmp_path)) == pytest.approx(expected)


@pytest.mark.parametrize('iters, expected', [
    (400, ['0', '40', '40', '400']),  # twice as long, warm-up too
    (2, ['0', '1', '1', '2']),  # shorter than the warm-up
])
def test_schedule_scales_with_the_iterations(iters, expected):
    config = learning_check.find_config('toy/fpn_r50_toy-ade20k.py')
    options = learning_check._schedule_options(Config.fromfile(config), iters)
    assert [o.split('=')[0] for o in options] == [
        'param_scheduler.0.begin', 'param_scheduler.0.end',
        'param_scheduler.1.begin', 'param_scheduler.1.end']
    assert [o.split('=')[1] for o in options] == expected


def test_curves_plot_only_the_metrics_some_run_logged():
    ssdlite = dict(task='det', metrics={'coco/bbox_mAP': 0.2})
    mask_rcnn = dict(task='det', metrics={'coco/bbox_mAP': 0.2,
                                          'coco/segm_mAP': 0.1})
    assert learning_check.curve_keys([ssdlite]) == ['loss', 'coco/bbox_mAP']
    assert learning_check.curve_keys([ssdlite, mask_rcnn]) == [
        'loss', 'coco/bbox_mAP', 'coco/segm_mAP']


@pytest.mark.slow
def test_two_iterations_of_one_run_end_to_end(toy_root, tmp_path):
    work = tmp_path / 'check'
    result = run_tool('analysis_tools/learning_check.py', '--runs', 'R50',
                      '--iters', '2', '--vals', '1', '--margin', '0',
                      '--work-dir', work, '--reuse-data', cwd=toy_root)
    rows = markdown_rows((work / 'learning_check.md').read_text())
    assert [r[0] for r in rows] == ['R50'] and rows[0][2] == '2'
    assert float(rows[0][3]) >= 0 and rows[0][-1] == 'yes'
    (run, ) = json.loads((work / 'learning_check.json').read_text())
    assert 'mIoU' in run['metrics'] and run['chance'] > 0
    read_png(work / 'curves_seg.png')
    assert 'saved' in result.output
