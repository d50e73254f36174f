"""Conv2Former end to end: the checkpoint converter, the benchmark script,
and a toy train + test of one detector and one segmentor through
tools/train.py and tools/test.py."""
import argparse
import importlib.util
import os.path as osp
import re

import pytest
import torch
from conftest import REPO, config_path, run_tool

from mmattn.checkpoint import load_state_dict_file
from mmattn.models.backbones.conv2former import Conv2Former

ARCH = dict(kernel_size=5, dims=[8, 16, 24, 32], depths=[1, 2, 1, 1])
# mmattn key -> official key (HVision-NKU/Conv2Former models/conv2former.py)
TO_OFFICIAL = [(r'\.attn\.fc_a\.', '.attn.att.0.'),
               (r'\.attn\.dwconv\.', '.attn.att.2.'),
               (r'\.attn\.fc_v\.', '.attn.v.')]


def official_checkpoint(model):
    """``model``'s weights as the official training script saves them."""
    state_dict = {}
    for key, value in model.state_dict().items():
        if key.startswith('norm'):
            continue  # mmattn's output norms are not in the official model
        for pattern, replacement in TO_OFFICIAL:
            key = re.sub(pattern, replacement, key)
        state_dict[key] = value
    state_dict.update({
        'head.0.weight': torch.zeros(1280, 32, 1, 1),
        'head.0.bias': torch.zeros(1280),
        'head.2.weight': torch.ones(1280),
        'head.2.bias': torch.zeros(1280),
        'pred.weight': torch.zeros(1000, 1280),
        'pred.bias': torch.zeros(1000)})
    return dict(epoch=299, arch='conv2former_t', version=2,
                state_dict=state_dict)


def test_conv2former2mmattn(tmp_path):
    torch.manual_seed(0)
    model = Conv2Former(ARCH, out_indices=())
    model.init_weights()
    src = tmp_path / 'conv2former.pth.tar'
    dst = tmp_path / 'out' / 'conv2former.pth'
    torch.save(official_checkpoint(model), src)
    result = run_tool('model_converters/conv2former2mmattn.py', src, dst,
                      cwd=tmp_path)
    assert "'depths': [1, 2, 1, 1]" in result.output
    assert "'kernel_size': 5" in result.output
    converted = load_state_dict_file(str(dst))
    assert converted.keys() == model.state_dict().keys()
    for key, value in model.state_dict().items():
        assert torch.equal(converted[key], value), key


def test_conv2former2mmattn_rejects_foreign_keys(tmp_path):
    checkpoint = official_checkpoint(Conv2Former(ARCH, out_indices=()))
    checkpoint['state_dict']['stages.1.0.attn.gate.weight'] = torch.zeros(1)
    src = tmp_path / 'bad.pth.tar'
    torch.save(checkpoint, src)
    result = run_tool('model_converters/conv2former2mmattn.py', src,
                      tmp_path / 'out.pth', cwd=tmp_path, check=False)
    assert result.returncode != 0
    assert 'stages.1.0.attn.gate.weight' in result.output


def test_benchmark_runs(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location(
        'benchmark_conv2former',
        osp.join(REPO, 'tools', 'analysis', 'benchmark_conv2former.py'))
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(
        script.Conv2Former, 'arch_zoo', {'toy': ARCH})
    monkeypatch.setattr(script, 'parse_args', lambda: argparse.Namespace(
        archs=['toy'], size=32, infer_batch=1, train_batch=2, warmup=0,
        repeats=1, threads=None, skip_train=False))
    script.main()
    output = capsys.readouterr().out
    assert 'Conv2Former-toy inference, (1, 3, 32, 32)' in output
    assert 'Conv2Former-toy train step' in output
    assert output.count('| reference |') == 2
    assert output.count('| fast |') == 2


def short(iters):
    """--cfg-options for ``iters`` iterations of 2 images, validated on 4."""
    return ['--cfg-options', f'train_cfg.max_iters={iters}',
            f'train_cfg.val_interval={iters}',
            'train_dataloader.batch_size=2',
            'val_dataloader.dataset.indices=4']


@pytest.mark.slow
@pytest.mark.parametrize('config, metric', [
    ('mask-rcnn_conv2former-n_fpn_toy-coco.py', r'coco/bbox_mAP: -?[0-9.]+'),
    ('fpn_conv2former-n_toy-ade20k.py', r'mIoU: [0-9.]+'),
])
def test_toy_train_and_test(config, metric, toy_root, tmp_path):
    path = config_path('conv2former', config)
    work_dir = tmp_path / 'work'
    run_tool('train.py', path, '--work-dir', work_dir, *short(2),
             cwd=toy_root)
    with open(work_dir / 'last_checkpoint') as f:
        checkpoint = f.read().strip()
    test = run_tool('test.py', path, checkpoint, '--work-dir',
                    tmp_path / 'test', '--cfg-options',
                    'test_dataloader.dataset.indices=4', cwd=toy_root)
    assert re.search(metric, test.output), test.output[-2000:]
