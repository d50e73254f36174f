"""AttentionHead trained for real: tools/train.py on the toy ADE20K set with
a tiny dilated ResNet-18 and a NonLocal, CrissCross or DANet head; the loss
must go down and the mIoU evaluator must run."""
import re

import pytest
from conftest import config_path, run_tool

ITERS = 24


@pytest.mark.slow
@pytest.mark.parametrize('tag', ['nl', 'cc', 'da'])
def test_toy_training_lowers_the_loss(tag, toy_root, tmp_path):
    config = config_path('attention',
                         f'attention-head-{tag}_r18-d8-tiny_toy-ade20k.py')
    result = run_tool(
        'train.py', config, '--work-dir', tmp_path, '--cfg-options',
        f'train_cfg.max_iters={ITERS}', f'train_cfg.val_interval={ITERS}',
        'default_hooks.logger.interval=4',
        # warm up over 4 iterations instead of 30: the run is 24 long
        'param_scheduler.0.end=4', cwd=toy_root)
    losses = [float(v) for v in re.findall(r'\bloss: ([0-9.]+)',
                                           result.output)]
    assert len(losses) == ITERS // 4, result.output[-3000:]
    assert sum(losses[-2:]) < sum(losses[:2]), losses
    assert re.search(r'mIoU: [0-9.]+', result.output), result.output[-3000:]
