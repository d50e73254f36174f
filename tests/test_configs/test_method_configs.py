"""Every config of every method folder (``configs/<method>/``, the folders
``tools/analysis_tools/zoo.py`` finds) builds its model and runs one
test-mode forward on a small image (:func:`config_forward.forward_once`),
with the schedule, batch and data set its name states; and every part-1
block has its Mask R-CNN and UperNet config. A new folder or file is picked
up.
"""
import os.path as osp

import pytest
from config_forward import REPO, forward_once
from conftest import load_analysis_tool
from mmengine.config import Config

zoo = load_analysis_tool('zoo')
CONFIGS = [config for folder in zoo.method_folders()
           for config in zoo.folder_configs(folder)]

# The blocks of the attention-library issue, part 1: each needs a Mask R-CNN
# R50-FPN 1x COCO config and an UperNet R50 160k ADE20K config.
PART1 = ('SE', 'ECA', 'GCT', 'SRM', 'FcaNet', 'GSoP', 'EncodingContext',
         'BilinearAttention', 'GE', 'StripPooling', 'AttentionGate', 'STN',
         'CBAM', 'BAM', 'scSE', 'CoordAttention', 'TripletAttention',
         'ResidualAttention', 'SCConv', 'SK', 'CondConv')
# what a config name's data set is evaluated as
DATASET_TYPES = {'COCO': 'CocoDataset', 'ADE20K': 'ADE20KDataset',
                 'Cityscapes': 'CityscapesDataset',
                 'Pascal VOC 2012 + Aug': 'PascalVOCDataset'}


def test_configs_are_found():
    assert len(CONFIGS) >= 2 * len(PART1)
    assert 'toy' not in zoo.method_folders()
    assert not any('_toy-' in config for config in CONFIGS)


@pytest.mark.parametrize('block', PART1)
def test_every_part1_block_has_its_host_configs(block):
    for prefix in ('mask-rcnn_r50-', 'upernet_r50-'):
        texts = [open(osp.join(REPO, config)).read() for config in CONFIGS
                 if osp.basename(config).startswith(prefix)]
        assert any(f"type='mmattn.{block}'" in text for text in texts), \
            f'no {prefix}* config uses mmattn.{block}'


def check_name(config, cfg):
    """The config is what its name says (the metafile's Metadata)."""
    meta = zoo.name_metadata(config)
    if 'Epochs' in meta:
        # mmdet's SSDLite recipe trains 120 epochs over a RepeatDataset of
        # 5 and names the 600 epochs that makes
        dataset = cfg.train_dataloader.dataset
        times = dataset.times if dataset.type == 'RepeatDataset' else 1
        assert cfg.train_cfg.max_epochs * times == meta['Epochs']
    else:
        assert cfg.train_cfg.max_iters == meta['Iterations']
    devices = zoo.name_devices(config)
    if devices:
        assert cfg.train_dataloader.batch_size == devices[1]
    assert cfg.val_dataloader.dataset.type == \
        DATASET_TYPES[meta['Training Data']]


@pytest.mark.slow
@pytest.mark.parametrize('config', CONFIGS)
def test_config_builds_and_runs_a_forward(config):
    cfg = Config.fromfile(osp.join(REPO, config))
    check_name(config, cfg)
    folder = zoo.method_folder(osp.basename(osp.dirname(config)))
    # 96×128 for the blocks' configs: c5 is then 3×4, and mmcv's deformable
    # conv refuses maps smaller than its kernel
    model = forward_once(cfg, shape=(64, 96) if folder.is_backbone else
                         (96, 128))
    if folder.is_backbone:
        assert type(model.backbone).__name__ in folder.classes
