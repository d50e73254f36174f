"""VAN end to end: the checkpoint converter, and a toy train + test of one
detector and one segmentor through tools/train.py and tools/test.py."""
import re

import pytest
import torch
from conftest import config_path, run_tool

from mmattn.checkpoint import load_state_dict_file
from mmattn.models.backbones.van import VAN

ARCH = dict(embed_dims=[8, 16, 24, 32], depths=[1, 2, 1, 1],
            mlp_ratios=[8, 8, 4, 4])


def mmpretrain_checkpoint(model):
    """``model``'s weights as mmpretrain saves a VAN classifier."""
    renames = [(r'^block(\d)\.', r'blocks\1.'),
               (r'\.proj\.', '.projection.'),
               (r'\.conv0\.', '.DW_conv.'),
               (r'\.conv_spatial\.', '.DW_D_conv.')]
    state_dict = {}
    for key, value in model.state_dict().items():
        for pattern, replacement in renames:
            key = re.sub(pattern, replacement, key)
        state_dict['backbone.' + key] = value
    state_dict['head.fc.weight'] = torch.zeros(1000, 32)
    state_dict['head.fc.bias'] = torch.zeros(1000)
    return dict(meta=dict(), state_dict=state_dict)


def test_van2mmattn(tmp_path):
    torch.manual_seed(0)
    model = VAN(ARCH)
    model.init_weights()
    src, dst = tmp_path / 'mmpretrain.pth', tmp_path / 'out' / 'van.pth'
    torch.save(mmpretrain_checkpoint(model), src)
    result = run_tool('model_converters/van2mmattn.py', src, dst,
                      cwd=tmp_path)
    assert 'mmpretrain layout' in result.output
    assert "depths': [1, 2, 1, 1]" in result.output
    converted = load_state_dict_file(str(dst))
    assert converted.keys() == model.state_dict().keys()
    for key, value in model.state_dict().items():
        assert torch.equal(converted[key], value), key


def test_van2mmattn_rejects_foreign_keys(tmp_path):
    checkpoint = mmpretrain_checkpoint(VAN(ARCH))
    checkpoint['state_dict']['backbone.block9.weight'] = torch.zeros(1)
    src = tmp_path / 'bad.pth'
    torch.save(checkpoint, src)
    result = run_tool('model_converters/van2mmattn.py', src,
                      tmp_path / 'out.pth', cwd=tmp_path, check=False)
    assert result.returncode != 0
    assert 'block9.weight' in result.output


def short(iters):
    """--cfg-options for ``iters`` iterations of 2 images, validated on 4."""
    return ['--cfg-options', f'train_cfg.max_iters={iters}',
            f'train_cfg.val_interval={iters}',
            'train_dataloader.batch_size=2',
            'val_dataloader.dataset.indices=4']


@pytest.mark.slow
@pytest.mark.parametrize('config, metric', [
    ('mask-rcnn_van-b0_fpn_toy-coco.py', r'coco/bbox_mAP: -?[0-9.]+'),
    ('fpn_van-b0_toy-ade20k.py', r'mIoU: [0-9.]+'),
])
def test_toy_train_and_test(config, metric, toy_root, tmp_path):
    path = config_path('van', config)
    work_dir = tmp_path / 'work'
    run_tool('train.py', path, '--work-dir', work_dir, *short(2),
             cwd=toy_root)
    with open(work_dir / 'last_checkpoint') as f:
        checkpoint = f.read().strip()
    test = run_tool('test.py', path, checkpoint, '--work-dir',
                    tmp_path / 'test', '--cfg-options',
                    'test_dataloader.dataset.indices=4', cwd=toy_root)
    assert re.search(metric, test.output), test.output[-2000:]


@pytest.mark.slow
def test_benchmark_van_prints_ratios(tmp_path):
    result = run_tool('analysis/benchmark_van.py', '--archs', 'b0', '--size',
                      '64', '--warmup', '0', '--repeats', '1', cwd=tmp_path)
    for case in ('reference', 'fast', 'deploy'):
        assert re.search(rf'\| {case} \|.*\| [0-9.]+× \|', result.output)
    assert 'train step' in result.output
