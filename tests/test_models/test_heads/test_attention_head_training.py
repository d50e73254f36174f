"""AttentionHead trained for real: tools/train.py on the toy ADE20K set with
a tiny dilated ResNet-18 and a NonLocal, CrissCross, DANet, DNL or OCR head
(the one-conv OCRHead layout), then the mIoU evaluator on part of the toy
validation set.

A handful of iterations on random crops is too few for the loss to fall
reliably, so the test asserts what must hold: every logged loss and
gradient norm is finite, the weights were saved, and evaluation ran.
"""
import math
import os.path as osp
import re

import pytest
from conftest import config_path, run_tool

ITERS = 6


@pytest.mark.slow
@pytest.mark.parametrize('tag', ['nl', 'cc', 'da', 'dnl', 'ocr'])
def test_toy_training_and_evaluation(tag, toy_root, tmp_path):
    config = config_path('toy',
                         f'attention-head-{tag}_r18-d8-tiny_toy-ade20k.py')
    result = run_tool(
        'train.py', config, '--work-dir', tmp_path, '--cfg-options',
        f'train_cfg.max_iters={ITERS}', f'train_cfg.val_interval={ITERS}',
        'train_dataloader.batch_size=2', 'default_hooks.logger.interval=2',
        'val_dataloader.dataset.indices=4',
        # warm up over 2 iterations instead of 30: the run is 6 long
        'param_scheduler.0.end=2', cwd=toy_root)
    log = result.output
    losses = [float(v) for v in re.findall(r'\bloss: ([-0-9.eainf]+)', log)]
    norms = [float(v) for v in re.findall(r'grad_norm: ([-0-9.eainf]+)', log)]
    assert len(losses) == len(norms) == ITERS // 2, log[-3000:]
    assert all(math.isfinite(v) and v > 0 for v in losses + norms), log
    assert osp.isfile(tmp_path / f'iter_{ITERS}.pth')
    miou = re.search(r'mIoU: ([0-9.]+)', log)
    assert miou and 0 <= float(miou.group(1)) <= 100, log[-3000:]
