"""Every config in configs/mobilenet_v2 and configs/mobilenext builds its
model and runs one test-mode forward (:func:`config_forward.forward_once`),
and its settings are the ones the CA paper's comparison needs: the attention
block of the name, the output stride of the name, the neck and heads fed the
backbone's channels, and the hosts' recipes."""
import os.path as osp

import pytest
from config_forward import config_folder, forward_once
from mmengine.config import Config

MOBILENET_V2, MBV2_CONFIGS = config_folder('mobilenet_v2')
MOBILENEXT, MNEXT_CONFIGS = config_folder('mobilenext')
CONFIGS = [osp.join(MOBILENET_V2, n) for n in MBV2_CONFIGS] + \
    [osp.join(MOBILENEXT, n) for n in MNEXT_CONFIGS]
ATTENTION = {
    'se': dict(type='mmattn.SE', ratio=24, act_cfg=dict(type='ReLU6')),
    'cbam': dict(type='mmattn.CBAM', ratio=24),
    'ca': dict(type='mmattn.CoordAttention'),
}
OUTPUT_STRIDE = {
    'd16': ((1, 2, 2, 2, 1, 1, 1), (1, 1, 1, 1, 1, 2, 2), (1, 6, 12, 18)),
    'd8': ((1, 2, 2, 1, 1, 1, 1), (1, 1, 1, 2, 2, 4, 4), (1, 12, 24, 36)),
}


def backbone_field(path):
    """``mobilenet-v2-ca-d16`` -> ('ca', 'd16')."""
    field = osp.basename(path).split('_')[1]
    parts = field.replace('mobilenet-v2', 'net').split('-')[1:]
    attention = next((p for p in parts if p in ATTENTION), None)
    stride = next((p for p in parts if p in OUTPUT_STRIDE), None)
    return attention, stride


def test_every_config_of_the_comparison_exists():
    assert set(MBV2_CONFIGS) == {
        *(f'ssdlite_mobilenet-v2{a}_8xb24-600e_coco.py'
          for a in ('', '-se', '-cbam', '-ca', '-scratch', '-ca-scratch')),
        *(f'deeplabv3_mobilenet-v2{a}-d16_4xb4-20k_voc12aug-512x512.py'
          for a in ('', '-se', '-cbam', '-ca')),
        *(f'deeplabv3_mobilenet-v2{a}-d8_4xb4-20k_voc12aug-512x512.py'
          for a in ('', '-ca')),
        *(f'deeplabv3_mobilenet-v2{a}-d8_4xb2-80k_cityscapes-512x1024.py'
          for a in ('', '-ca')),
        *(f'deeplabv3plus_mobilenet-v2{a}-d8_4xb4-160k_ade20k-512x512.py'
          for a in ('', '-ca')),
    }
    assert set(MNEXT_CONFIGS) == {'ssdlite_mobilenext_8xb24-600e_coco.py',
                                  'ssdlite_mobilenext-ca_8xb24-600e_coco.py'}


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_settings_follow_the_name(path):
    cfg = Config.fromfile(path)
    backbone = cfg.model.backbone
    attention, stride = backbone_field(path)
    assert backbone.type == ('mmattn.MobileNeXt' if 'mobilenext' in path
                             else 'mmattn.MobileNetV2')
    assert backbone.get('attention') == ATTENTION.get(attention)
    init = backbone.init_cfg
    if 'scratch' in path:
        assert init == dict(type='TruncNormal', layer='Conv2d', std=0.03)
    else:
        assert init.type == 'Pretrained'
        assert init.checkpoint.startswith('pretrain/')
        assert (init.checkpoint == 'pretrain/mbv2_ca.pth') == \
            (attention == 'ca' and 'mobilenext' not in path)
    if path.endswith('coco.py'):  # mmdet's SSDLite320
        assert cfg.model.type == 'SingleStageDetector'
        assert cfg.model.neck.type == 'SSDNeck'
        assert cfg.model.bbox_head.type == 'mmattn.SSDHead'
        assert backbone.out_indices == (4, 7)
        channels = (384, 1280) if 'mobilenext' in path else (96, 1280)
        assert cfg.model.neck.in_channels == channels
        assert cfg.model.bbox_head.in_channels[:2] == channels
        assert cfg.train_dataloader.batch_size * 8 == 192
        assert cfg.train_cfg.max_epochs * 5 == 600  # RepeatDataset x5
    else:
        assert cfg.model.pretrained is None
        strides, dilations, rates = OUTPUT_STRIDE[stride]
        assert (backbone.strides, backbone.dilations) == (strides, dilations)
        assert backbone.out_indices == (1, 2, 4, 6)
        assert cfg.model.decode_head.in_channels == 320
        assert cfg.model.auxiliary_head.in_channels == 96
        if 'deeplabv3_' in path:
            assert cfg.model.decode_head.type == 'ASPPHead'
            assert cfg.model.decode_head.dilations == rates
        else:
            assert cfg.model.decode_head.type == 'DepthwiseSeparableASPPHead'
            assert cfg.model.decode_head.c1_in_channels == 24


@pytest.mark.slow
@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_and_runs_a_forward(path):
    model = forward_once(Config.fromfile(path))
    backbone = type(model.backbone).__name__
    assert backbone == ('MobileNeXt' if 'mobilenext' in path
                        else 'MobileNetV2')
