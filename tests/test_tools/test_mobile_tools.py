"""The mobile backbones through the tools: a toy train + test of SSDLite
(MobileNetV2 + CA) and DeepLabV3 (MobileNetV2 + CA, output stride 8) with
tools/train.py and tools/test.py."""
import re

import pytest
from conftest import config_path, last_checkpoint, run_tool, short_run

BBOX_MAP, MIOU = r'coco/bbox_mAP: -?[0-9.]+', r'mIoU: [0-9.]+'


@pytest.mark.slow
@pytest.mark.parametrize('config, metric', [
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
