"""The configs in configs/conv2former are the ones the Conv2Former issue
asks for, with the backbone's channels, the paper's crops and the matching
weights. test_method_configs.py runs a forward of each.
"""
import os.path as osp

import pytest
from config_forward import config_folder
from mmengine.config import Config

FOLDER, CONFIGS = config_folder('conv2former')


def test_the_issue_configs_exist():
    expected = set()
    for arch in 'ntsb':
        expected |= {
            f'mask-rcnn_conv2former-{arch}_fpn_1x_coco.py',
            f'mask-rcnn_conv2former-{arch}_fpn_ms-crop-3x_coco.py',
            f'upernet_conv2former-{arch}_8xb2-160k_ade20k-512x512.py',
        }
    expected |= {'upernet_conv2former-l_8xb2-160k_ade20k-640x640.py',
                 'fpn_conv2former-n_4xb8-40k_ade20k-512x512.py',
                 'fpn_conv2former-t_4xb8-40k_ade20k-512x512.py'}
    assert set(CONFIGS) == expected


def check_channels_crop_and_weights(name, cfg):
    from mmattn.models.backbones.conv2former import Conv2Former
    backbone = cfg.model.backbone
    dims = Conv2Former.arch_zoo[backbone.arch]['embed_dims']
    head = cfg.model.get('neck') or cfg.model.decode_head
    assert list(head.in_channels) == dims
    if 'auxiliary_head' in cfg.model:
        assert cfg.model.auxiliary_head.in_channels == dims[2]
    if name.startswith('upernet'):
        crop = 640 if '-l_' in name else 512
        assert cfg.model.data_preprocessor.size == (crop, crop)
        assert cfg.model.test_cfg.crop_size == (crop, crop)
    assert f'conv2former_{backbone.arch}' in backbone.init_cfg.checkpoint


@pytest.mark.slow
@pytest.mark.parametrize('name', CONFIGS)
def test_channels_crop_and_weights(name):
    check_channels_crop_and_weights(
        name, Config.fromfile(osp.join(FOLDER, name)))
