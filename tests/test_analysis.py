import pytest
from torch import nn

from conftest import config_path
from mmattn.analysis import (build_model, dummy_batch, format_count,
                             load_config, optimize, task_of,
                             train_step_fn)


@pytest.mark.parametrize('spec, expected', [
    ('mmattn.SE', dict(type='mmattn.SE')),
    ('SE', dict(type='mmattn.SE')),
    ("dict(type='CBAM', in_channels=8)", dict(type='mmattn.CBAM',
                                              in_channels=8)),
    ("{'type': 'mmdet.ResNet', 'depth': 18}", dict(type='mmdet.ResNet',
                                                   depth=18)),
    (dict(type='mmattn.LKA', in_channels=4),
     dict(type='mmattn.LKA', in_channels=4)),
    ("dict(type='SE', ratio=1 / 16, act_cfg=dict(type='ReLU'), "
     "k=[1, (2, -3)])",
     dict(type='mmattn.SE', ratio=0.0625, act_cfg=dict(type='ReLU'),
          k=[1, (2, -3)])),
])
def test_load_config_of_a_bare_module(spec, expected):
    cfg = load_config(spec, {'model.extra': 1})
    assert cfg.default_scope == 'mmattn'
    assert cfg.model.to_dict() == dict(expected, extra=1)


@pytest.mark.parametrize('spec, error, match', [
    ('dict(in_channels=8)', ValueError, 'needs a type'),
    ('[1, 2]', ValueError, 'not a dict'),
    ("dict(type=__import__('os'))", ValueError, 'malformed'),
    ("dict(type='SE', ratio='a' / 2)", ValueError, 'malformed'),
    ('configs/none.py', FileNotFoundError, 'none.py'),
])
def test_load_config_errors(spec, error, match):
    with pytest.raises(error, match=match):
        load_config(spec)


def test_bare_module_batch_and_train_step():
    model = build_model(load_config("dict(type='CBAM', in_channels=32)"))
    assert task_of(model) == 'module' and not model.training
    batch = dummy_batch(model, (5, 7), batch_size=2)
    assert batch['inputs'].shape == (2, 32, 5, 7)
    assert batch['data_samples'] is None
    model.train()
    train_step_fn(model, batch)()
    assert all(p.grad is not None for p in model.parameters())


def test_detector_batch_is_padded_and_has_ground_truth():
    model = build_model(load_config(
        config_path('toy', 'mask-rcnn_r50_fpn_toy-coco.py')))
    assert task_of(model) == 'det'
    batch = dummy_batch(model, (50, 70), with_gt=True)
    assert batch['inputs'].shape == (1, 3, 64, 96)  # pad_size_divisor 32
    (sample, ) = batch['data_samples']
    assert sample.batch_input_shape == (64, 96)
    gt = sample.gt_instances
    assert len(gt) == 3 and gt.labels.max() < 3
    x1, y1, x2, y2 = gt.bboxes[0].int().tolist()
    assert gt.masks.masks[0].sum() == (x2 - x1) * (y2 - y1)


def test_segmentor_batch_labels():
    model = build_model(load_config(
        config_path('toy', 'fpn_r50_toy-ade20k.py')))
    assert task_of(model) == 'seg'
    batch = dummy_batch(model, (33, 40), with_gt=True)
    assert batch['inputs'].shape == (1, 3, 33, 40)
    labels = batch['data_samples'][0].gt_sem_seg.data
    assert labels.shape == (1, 33, 40) and set(labels.unique().tolist()) == {
        0, 1, 2}


def test_build_model_survives_train_overrides_returning_none():
    model = build_model(load_config("dict(type='mmdet.ResNet', depth=18)"))
    assert type(model).__name__ == 'ResNet' and not model.training
    assert task_of(model) == 'module'  # a host's backbone, not a detector
    assert dummy_batch(model, (32, 32))['inputs'].shape == (1, 3, 32, 32)


def test_optimize_counts_the_swapped_modules():
    from mmattn.models import VAN
    tiny = dict(embed_dims=[8, 8, 8, 8], depths=[1, 2, 1, 1],
                mlp_ratios=[2, 2, 2, 2])
    model = nn.Sequential(VAN(tiny), nn.ReLU())
    assert optimize(model) == 4 + 5  # patch embeds and blocks
    assert not model.training
    assert optimize(model) == 0  # nothing left to swap
    assert optimize(nn.ReLU()) == 0


def test_format_count():
    assert [format_count(n) for n in (12, 1234, 25_557_032, 4.1e9, 2e12)] == \
        ['12', '1.23K', '25.56M', '4.10G', '2.00T']
