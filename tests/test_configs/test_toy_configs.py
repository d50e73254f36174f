"""Every config in configs/toy (the CPU-sized variants that train on the toy
COCO and ADE20K sets) builds its model and runs one test-mode forward
(:func:`config_forward.forward_once`), and reads the toy data sets."""
import os.path as osp

import pytest
from config_forward import config_folder, forward_once
from mmengine.config import Config

FOLDER, CONFIGS = config_folder('toy')


def test_every_toy_config_reads_a_toy_set():
    assert len(CONFIGS) >= 16
    for name in CONFIGS:
        cfg = Config.fromfile(osp.join(FOLDER, name))
        root = cfg.train_dataloader.dataset.data_root
        expected = 'toy_coco' if name.endswith('toy-coco.py') else \
            'toy_ade20k'
        assert osp.basename(osp.normpath(root)) == expected, name


@pytest.mark.slow
@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_and_runs_a_forward(name):
    forward_once(Config.fromfile(osp.join(FOLDER, name)), shape=(96, 128))
