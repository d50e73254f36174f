"""The backbones through the tools: a toy train + test of each backbone's
detector and segmentor (tools/train.py, tools/test.py), and the fast-path
benchmark (tools/analysis_tools/benchmark_fast_path.py)."""
import re

import pytest
from conftest import config_path, last_checkpoint, run_tool, short_run

BBOX_MAP, MIOU = r'coco/bbox_mAP: -?[0-9.]+', r'mIoU: [0-9.]+'


@pytest.mark.slow
@pytest.mark.parametrize('config, metric', [
    ('toy/mask-rcnn_van-b0_fpn_toy-coco.py', BBOX_MAP),
    ('toy/fpn_van-b0_toy-ade20k.py', MIOU),
    ('toy/mask-rcnn_conv2former-n_fpn_toy-coco.py', BBOX_MAP),
    ('toy/fpn_conv2former-n_toy-ade20k.py', MIOU),
])
def test_toy_train_and_test(config, metric, toy_root, tmp_path):
    path = config_path(config)
    work_dir = tmp_path / 'work'
    run_tool('train.py', path, '--work-dir', work_dir,
             *short_run(2, 'train_dataloader.batch_size=2',
                        'val_dataloader.dataset.indices=4'),
             cwd=toy_root)
    test = run_tool('test.py', path, last_checkpoint(work_dir), '--work-dir',
                    tmp_path / 'test', '--cfg-options',
                    'test_dataloader.dataset.indices=4', cwd=toy_root)
    assert re.search(metric, test.output), test.output[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize('backbone, arch, cases', [
    ('VAN', 'b0', ('reference', 'fast', 'deploy')),
    ('Conv2Former', 'n', ('reference', 'fast')),
])
def test_benchmark_fast_path_prints_ratios(backbone, arch, cases, tmp_path):
    result = run_tool('analysis_tools/benchmark_fast_path.py', backbone, '--archs',
                      arch, '--size', 64, '--warmup', 0, '--repeats', 1,
                      cwd=tmp_path)
    inference, train = result.output.split(f'{backbone}-{arch} train step')
    assert f'{backbone}-{arch} inference, (1, 3, 64, 64)' in inference
    for case in cases:
        assert re.search(rf'\| {case} \|.*\| [0-9.]+× \|', inference), case
    assert re.findall(r'\| (\w+) \|.*\| [0-9.]+× \|', train) == [
        'reference', 'fast']
