"""Every config in configs/attention builds its model and runs one test-mode
forward on a small image (:func:`config_forward.forward_once`); and every
part-1 block has its Mask R-CNN and UperNet config. Any new file in
configs/attention is picked up.
"""
import os.path as osp

import pytest
from config_forward import config_folder, forward_once
from mmengine.config import Config

FOLDER, CONFIGS = config_folder('attention')

# The blocks of the attention-library issue, part 1: each needs a Mask R-CNN
# R50-FPN 1x COCO config and an UperNet R50 160k ADE20K config.
PART1 = ('SE', 'ECA', 'GCT', 'SRM', 'FcaNet', 'GSoP', 'EncodingContext',
         'BilinearAttention', 'GE', 'StripPooling', 'AttentionGate', 'STN',
         'CBAM', 'BAM', 'scSE', 'CoordAttention', 'TripletAttention',
         'ResidualAttention', 'SCConv', 'SK', 'CondConv')


def test_configs_are_found():
    assert len(CONFIGS) >= 2 * len(PART1)


@pytest.mark.parametrize('block', PART1)
def test_every_part1_block_has_its_host_configs(block):
    for prefix in ('mask-rcnn_r50-', 'upernet_r50-'):
        texts = [open(osp.join(FOLDER, name)).read() for name in CONFIGS
                 if name.startswith(prefix)]
        assert any(f"type='mmattn.{block}'" in text for text in texts), \
            f'no {prefix}* config uses mmattn.{block}'


@pytest.mark.slow
@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_and_runs_a_forward(name):
    # c5 is 3×4: mmcv's deformable conv refuses maps smaller than its kernel
    forward_once(Config.fromfile(osp.join(FOLDER, name)), shape=(96, 128))
