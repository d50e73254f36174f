"""The pieces of mmattn.runner behind --auto-scale-lr, --tta and the
checks run before anything is built, on the configs themselves."""
import glob
import json
import os.path as osp

import pytest
from conftest import REPO, config_path
from mmengine.config import Config

import mmattn  # noqa: F401  (mmattn:: bases)
from mmattn.runner import (ConfigError, base_batch_size, checkpoint_intact,
                           coco_categories, enable_auto_scale_lr,
                           newest_intact_checkpoint, seg_tta_pipeline)

SEG_CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'van', '*ade20k*.py')) +
    glob.glob(osp.join(REPO, 'configs', 'conv2former', '*ade20k*.py')))


def test_base_batch_from_the_config_or_its_name():
    cfg = Config.fromfile(
        config_path('van', 'mask-rcnn_van-b0_fpn_1x_coco.py'))
    assert base_batch_size(cfg) == (16, 'auto_scale_lr')  # mmdet's schedule
    cfg = Config.fromfile(
        config_path('van', 'upernet_van-b2_4xb4-160k_ade20k-512x512.py'))
    assert base_batch_size(cfg) == (16, 'the config name (4xb4)')
    enable_auto_scale_lr(cfg)
    assert cfg.auto_scale_lr == dict(enable=True, base_batch_size=16)


def test_base_batch_missing(tmp_path):
    path = tmp_path / 'plain.py'
    path.write_text("default_scope = 'mmseg'\n")
    with pytest.raises(ConfigError, match='add auto_scale_lr = dict'):
        base_batch_size(Config.fromfile(str(path)))


@pytest.mark.parametrize('path', SEG_CONFIGS, ids=osp.basename)
def test_seg_config_names_describe_their_batch(path):
    """The name's NxbM is the base batch --auto-scale-lr derives: its M is
    the config's batch per GPU."""
    cfg = Config.fromfile(path)
    assert 'auto_scale_lr' not in cfg  # else the config's own value counts
    batch, source = base_batch_size(cfg)
    gpus, per_gpu = map(int, source.split('(')[1].rstrip(')').split('xb'))
    assert cfg.train_dataloader.batch_size == per_gpu
    assert batch == gpus * per_gpu


def test_seg_tta_pipeline_scales_the_test_resize():
    pipeline = seg_tta_pipeline([
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(2048, 512), keep_ratio=True),
        dict(type='LoadAnnotations', reduce_zero_label=True),
        dict(type='PackSegInputs'),
    ])
    load, tta = pipeline
    assert load == dict(type='LoadImageFromFile')
    scales, flips, annotations, pack = tta['transforms']
    assert [s['scale'] for s in scales] == [
        (1024, 256), (1536, 384), (2048, 512), (2560, 640), (3072, 768),
        (3584, 896)]
    assert all(s['keep_ratio'] for s in scales)
    assert [f['prob'] for f in flips] == [0., 1.]
    assert annotations == [dict(type='LoadAnnotations',
                                reduce_zero_label=True)]
    assert pack == [dict(type='PackSegInputs')]
    with pytest.raises(ConfigError, match='one Resize'):
        seg_tta_pipeline([dict(type='LoadImageFromFile'),
                          dict(type='PackSegInputs')])


def test_van_upernet_tta_is_van_segmentations():
    cfg = Config.fromfile(
        config_path('van', 'upernet_van-b3_4xb4-160k_ade20k-512x512.py'))
    scales, multiple, flips, *_ = cfg.tta_pipeline[1].transforms
    assert [s.scale[1] for s in scales] == [256, 384, 512, 640, 768, 896]
    assert multiple == [dict(type='ResizeToMultiple', size_divisor=32)]
    assert len(flips) == 2


@pytest.mark.parametrize('last', [True, False])
def test_coco_categories(tmp_path, last):
    data = dict(images=[dict(id=1, file_name='a.jpg')], annotations=[])
    categories = [dict(id=1, name='cat'), dict(id=2, name='dog')]
    # A later key of that name elsewhere sends the reader to a full parse.
    data['info'] = dict(categories=2)
    data = dict(data, categories=categories) if last else \
        dict(categories=categories, **data)
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(data))
    assert coco_categories(str(path)) == ['cat', 'dog']


def test_newest_intact_checkpoint(tmp_path):
    import torch
    for i in (1, 2, 10):
        torch.save({'i': i}, tmp_path / f'iter_{i}.pth')
    (tmp_path / 'iter_10.pth').write_bytes(
        (tmp_path / 'iter_10.pth').read_bytes()[:100])
    assert not checkpoint_intact(str(tmp_path / 'iter_10.pth'))
    assert checkpoint_intact(str(tmp_path / 'iter_2.pth'))
    assert newest_intact_checkpoint(str(tmp_path)) == str(
        tmp_path / 'iter_2.pth')
