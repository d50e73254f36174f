"""Every config in configs/conv2former builds its model and runs one
test-mode forward on a small image, through its host's data preprocessor;
the set of configs is the one the Conv2Former issue asks for.

Models are built without ``init_weights`` (no checkpoint is read); SyncBN is
reverted to BN so that they run in one process.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import MODELS, init_default_scope
from mmengine.structures import BaseDataElement

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FOLDER = osp.join(REPO, 'configs', 'conv2former')
CONFIGS = sorted(
    osp.basename(path) for path in glob.glob(osp.join(FOLDER, '*.py')))


def test_the_issue_configs_exist():
    expected = {'fpn_conv2former-n_toy-ade20k.py',
                'mask-rcnn_conv2former-n_fpn_toy-coco.py'}
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
    dims = Conv2Former.arch_zoo[backbone.arch]['dims']
    head = cfg.model.get('neck') or cfg.model.decode_head
    assert list(head.in_channels) == dims
    if 'auxiliary_head' in cfg.model:
        assert cfg.model.auxiliary_head.in_channels == dims[2]
    if name.startswith('upernet'):
        crop = 640 if '-l_' in name else 512
        assert cfg.model.data_preprocessor.size == (crop, crop)
        assert cfg.model.test_cfg.crop_size == (crop, crop)
    if 'toy' not in name:
        assert f'conv2former_{backbone.arch}' in backbone.init_cfg.checkpoint


def _data_sample(scope, shape):
    if scope == 'mmdet':
        from mmdet.structures import DetDataSample as Sample
    else:
        from mmseg.structures import SegDataSample as Sample
    return Sample(metainfo=dict(img_shape=shape, ori_shape=shape,
                                pad_shape=shape, scale_factor=(1.0, 1.0)))


@pytest.mark.slow
@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_and_runs_a_forward(name):
    cfg = Config.fromfile(osp.join(FOLDER, name))
    check_channels_crop_and_weights(name, cfg)
    scope = cfg.get('default_scope')
    assert scope in ('mmdet', 'mmseg'), f'{name}: default_scope {scope!r}'
    init_default_scope(scope)
    torch.manual_seed(0)
    model = revert_sync_batchnorm(MODELS.build(cfg.model)).eval()
    assert type(model.backbone).__name__ == 'Conv2Former'
    shape = (64, 96)
    image = torch.randint(0, 256, (3, *shape), dtype=torch.uint8)
    data = dict(inputs=[image], data_samples=[_data_sample(scope, shape)])
    with torch.no_grad():
        (result, ) = model.test_step(data)
    assert isinstance(result, BaseDataElement)
    if scope == 'mmdet':
        assert 'pred_instances' in result
    else:
        assert result.pred_sem_seg.data.shape[-2:] == shape
