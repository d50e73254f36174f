"""The backbones through the tools: a toy train + test of each backbone's
detector and segmentor (tools/train.py, tools/test.py; for the mobile
backbones SSDLite and DeepLabV3 at output stride 8, with CA inside), and the
fast-path benchmark (tools/analysis_tools/benchmark_fast_path.py)."""
import re

import pytest
import torch
from conftest import config_path, last_checkpoint, run_tool, short_run

BBOX_MAP, MIOU = r'coco/bbox_mAP: -?[0-9.]+', r'mIoU: [0-9.]+'


@pytest.mark.slow
@pytest.mark.parametrize('config, metric', [
    ('toy/mask-rcnn_van-b0_fpn_toy-coco.py', BBOX_MAP),
    ('toy/fpn_van-b0_toy-ade20k.py', MIOU),
    ('toy/mask-rcnn_conv2former-n_fpn_toy-coco.py', BBOX_MAP),
    ('toy/fpn_conv2former-n_toy-ade20k.py', MIOU),
    ('toy/ssdlite_mobilenet-v2-ca_toy-coco.py', BBOX_MAP),
    ('toy/deeplabv3_mobilenet-v2-ca-d8_toy-ade20k.py', MIOU),
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
@pytest.mark.parametrize('backbone, arch, options', [
    ('VAN', 'b0', ()), ('Conv2Former', 'n', ('--keep-freed-memory', ))])
def test_benchmark_fast_path_prints_ratios(backbone, arch, options,
                                           tmp_path):
    result = run_tool('analysis_tools/benchmark_fast_path.py', backbone,
                      '--archs', arch, '--size', 64, '--warmup', 0,
                      '--repeats', 1, '--no-compile', *options, cwd=tmp_path)
    assert ('freed memory kept' in result.output) == bool(options)
    inference, train = result.output.split(f'{backbone}-{arch} train step')
    assert f'{backbone}-{arch} inference, (1, 3, 64, 64)' in inference
    assert re.findall(r'\| (\w+) \|.*\| [0-9.]+× \|', inference) == [
        'reference', 'default', 'optimized']
    assert re.findall(r'\| (\w+) \|.*\| [0-9.]+× \|', train) == [
        'reference', 'default']


@pytest.mark.slow
def test_benchmark_fast_path_compiled_case(capsys):
    """The compiled case, in-process on a small VAN (compiling a real arch
    takes minutes on two cores); inference only (test_van.py compiles the
    training step)."""
    from analysis_tools import load

    from mmattn.models import VAN
    bench = load('benchmark_fast_path')
    bench.BACKBONES['SmallVAN'] = lambda arch: VAN(SMALL_VAN)
    try:
        bench.main(['SmallVAN', '--archs', 'x', '--size', '48', '--warmup',
                    '1', '--repeats', '1', '--skip-train'])
    finally:
        torch._dynamo.reset()
    assert re.findall(r'\| (\w+) \|.*\| [0-9.]+× \|',
                      capsys.readouterr().out) == [
                          'reference', 'default', 'optimized', 'compiled']


#: The small arch of the compile tests in test_van.py: the same graphs,
#: so that inductor's cache serves the second compilation.
SMALL_VAN = dict(embed_dims=[8, 8, 16, 16], depths=[1, 1, 1, 1],
                 mlp_ratios=[2, 2, 2, 2])
