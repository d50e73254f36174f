"""tools/model_converters/mobilenet2mmattn.py and mobilenext2mmattn.py:
official, torchvision and mmpretrain layouts in, mmattn's out (the same
weights as loading the source through ``init_cfg``), and keys that fit
nowhere refused."""
import os.path as osp
import sys

import pytest
import torch
from conftest import REPO, assert_same_weights, run_tool

sys.path.insert(0, osp.join(REPO, 'tests', 'test_models', 'test_backbones'))
from mobile_reference import (OfficialMBV2, OfficialMobileNeXt,  # noqa: E402
                              TorchvisionMBV2, randomise)

from mmattn.models.backbones import MobileNetV2, MobileNeXt  # noqa: E402


def loaded(cls, path, **kwargs):
    model = cls(init_cfg=dict(type='Pretrained', checkpoint=str(path)),
                **kwargs)
    model.init_weights()
    return model


def mmpretrain_checkpoint():
    """mmpretrain's layout (``conv.0/1/2``), as a whole classifier."""
    model = randomise(MobileNetV2(out_indices=7))
    state_dict = {}
    for key, value in model.state_dict().items():
        for new, old in (('conv.0', 'expand_conv'), ('conv.1',
                                                     'depthwise_conv'),
                         ('conv.2', 'linear_conv')):
            key = key.replace(old, new)
        if key.startswith('layer1.'):  # no expansion: dw is conv.0
            key = key.replace('conv.1', 'conv.0').replace('conv.2', 'conv.1')
        state_dict[f'backbone.{key}'] = value
    state_dict['head.fc.weight'] = torch.zeros(1000, 1280)
    return dict(meta={}, state_dict=state_dict)


@pytest.mark.parametrize('layout, checkpoint, kwargs, message', [
    ('official_ca', lambda: randomise(OfficialMBV2(attention='ca'))
     .state_dict(), dict(attention=dict(type='mmattn.CoordAttention')),
     "attention ['CoordAttention']"),
    ('torchvision', lambda: randomise(TorchvisionMBV2(0.5)).state_dict(),
     dict(widen_factor=0.5), 'widen_factor 0.5'),
    ('mmpretrain', mmpretrain_checkpoint, {}, 'attention None'),
])
def test_mobilenet2mmattn(tmp_path, layout, checkpoint, kwargs, message):
    src, dst = tmp_path / 'src.pth', tmp_path / 'out' / 'dst.pth'
    torch.save(checkpoint(), src)
    args = ['--widen-factor', 0.5] if 'widen_factor' in kwargs else []
    result = run_tool('model_converters/mobilenet2mmattn.py', src, dst,
                      *args, cwd=tmp_path)
    assert f'{layout} layout' in result.output and message in result.output
    assert_same_weights(dst, loaded(MobileNetV2, src, out_indices=7,
                                    **kwargs))


def test_mobilenet2mmattn_refuses_foreign_keys(tmp_path):
    state_dict = randomise(TorchvisionMBV2()).state_dict()
    state_dict['features.3.conv.1.2.weight'] = torch.zeros(4)
    src = tmp_path / 'bad.pth'
    torch.save(state_dict, src)
    result = run_tool('model_converters/mobilenet2mmattn.py', src,
                      tmp_path / 'out.pth', cwd=tmp_path, check=False)
    assert result.returncode != 0
    assert 'layer2.1.conv.1.2.weight' in result.output  # named, unmapped


def test_mobilenext2mmattn(tmp_path):
    official = randomise(OfficialMobileNeXt())
    src, dst = tmp_path / 'mnext.pth.tar', tmp_path / 'mnext.pth'
    torch.save(dict(epoch=1, state_dict={
        f'module.{k}': v for k, v in official.state_dict().items()}), src)
    result = run_tool('model_converters/mobilenext2mmattn.py', src, dst,
                      cwd=tmp_path)
    assert 'MobileNeXt (widen_factor 1.0' in result.output
    assert_same_weights(dst, loaded(MobileNeXt, src, out_indices=7))
