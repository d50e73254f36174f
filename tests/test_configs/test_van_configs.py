"""The configs in configs/van are the ones of VAN's dense-prediction
experiments (the paper's COCO ones, VAN-Segmentation's ADE20K ones), with
their hyperparameters. test_method_configs.py runs a forward of each.
"""
import os.path as osp

import pytest
from config_forward import config_folder
from mmengine.config import Config

FOLDER, CONFIGS = config_folder('van')

VAN_DIMS = {
    'b0': [32, 64, 160, 256], 'b1': [64, 128, 320, 512],
    'b2': [64, 128, 320, 512], 'b3': [64, 128, 320, 512],
    'b4': [64, 128, 320, 512], 'b5': [96, 192, 480, 768],
    'b6': [96, 192, 384, 768]
}
# VAN-Segmentation trains UperNet VAN-B4 (ImageNet-1k) with 8x4 images, the
# others with 8x2
UPERNET = {f'b{i}': f'upernet_van-b{i}_4xb4-160k_ade20k-512x512.py'
           for i in range(7)}
UPERNET['b4'] = 'upernet_van-b4_8xb4-160k_ade20k-512x512.py'
UPERNET_BATCH = dict.fromkeys(UPERNET, 16) | {'b4': 32}


def load(name):
    return Config.fromfile(osp.join(FOLDER, name))


def test_every_config_of_the_issue_exists():
    expected = {f'{algo}_van-b{i}_fpn_1x_coco.py'
                for algo in ('mask-rcnn', 'retinanet') for i in range(4)}
    expected |= {f'fpn_van-b{i}_4xb8-40k_ade20k-512x512.py'
                 for i in range(5)}
    expected |= set(UPERNET.values())
    assert expected == set(CONFIGS)


@pytest.mark.parametrize('name', [n for n in CONFIGS if 'coco.py' in n])
def test_detection_hyperparameters(name):
    cfg = load(name)
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.weight_decay) == \
        ('AdamW', 1e-4, 0.05)
    assert cfg.train_dataloader.batch_size * 8 == 16
    assert cfg.train_cfg.max_epochs == 12
    backbone = cfg.model.backbone
    assert backbone.type == 'mmattn.VAN'
    assert backbone.arch == name.split('van-')[1][:2]
    assert cfg.model.neck.in_channels == VAN_DIMS[backbone.arch]


@pytest.mark.parametrize('arch, drop_path', [('b0', 0.2), ('b1', 0.2),
                                             ('b2', 0.2), ('b3', 0.3),
                                             ('b4', 0.4)])
def test_semantic_fpn_hyperparameters(arch, drop_path):
    cfg = load(f'fpn_van-{arch}_4xb8-40k_ade20k-512x512.py')
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.weight_decay) == \
        ('AdamW', 2e-4, 1e-4)
    (poly, ) = cfg.param_scheduler
    assert (poly.type, poly.power, poly.end) == ('PolyLR', 0.9, 40000)
    assert cfg.train_cfg.max_iters == 40000
    assert cfg.train_dataloader.batch_size * 4 == 32
    assert cfg.crop_size == (512, 512)
    assert (cfg.model.backbone.arch, cfg.model.backbone.drop_path_rate) == \
        (arch, drop_path)
    assert cfg.model.neck.in_channels == VAN_DIMS[arch]


@pytest.mark.parametrize('arch, drop_path', [
    ('b0', 0.1), ('b1', 0.1), ('b2', 0.1), ('b3', 0.3), ('b4', 0.4),
    ('b5', 0.4), ('b6', 0.5)
])
def test_upernet_hyperparameters(arch, drop_path):
    name = UPERNET[arch]
    cfg = load(name)
    gpus, per_gpu = map(int, name.split('_')[2].split('-')[0].split('xb'))
    assert cfg.train_dataloader.batch_size == per_gpu
    assert gpus * per_gpu == UPERNET_BATCH[arch]
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.weight_decay) == \
        ('AdamW', 6e-5, 0.01)
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.norm.decay_mult == 0
    warmup, poly = cfg.param_scheduler
    assert (warmup.type, warmup.end) == ('LinearLR', 1500)
    assert (poly.type, poly.power, poly.begin, poly.end) == \
        ('PolyLR', 1.0, 1500, 160000)
    model = cfg.model
    assert (model.backbone.arch, model.backbone.drop_path_rate) == \
        (arch, drop_path)
    assert model.decode_head.type == 'UPerHead'
    assert model.decode_head.channels == 512
    assert model.decode_head.in_channels == VAN_DIMS[arch]
    assert (model.auxiliary_head.type, model.auxiliary_head.in_index,
            model.auxiliary_head.in_channels) == \
        ('FCNHead', 2, VAN_DIMS[arch][2])
