# Toy ADE20K for mmseg: 128x128 images of shapes, by tools/make_toy_data.py.
#
# The files follow ADE20K's layout and label convention, and the real
# ADE20KDataset reads them. It accepts only names from ADE20K's 150 classes
# and maps a subset through a label map: a PNG holds ADE20K index + 1 of each
# name (box 42, tent 115, ball 120); 0 is "other", ignored (reduce_zero_label).
#
# This base carries mmseg's runtime and the hooks mmseg keeps in its schedules,
# so a leaf needs only a model, this file and ../schedules/toy_iters.py:
#   _base_ = ['../_base_/models/fpn_r50_toy.py',
#             '../_base_/datasets/toy_ade20k.py',
#             '../_base_/schedules/toy_iters.py',
#             '../_base_/mmattn_imports.py']
_base_ = 'mmseg::_base_/default_runtime.py'

dataset_type = 'ADE20KDataset'
data_root = 'data/toy_ade20k'
metainfo = dict(classes=('box', 'tent', 'ball'))
crop_size = (128, 128)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(
        type='RandomResize',
        scale=(512, 128),
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(512, 128), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        data_prefix=dict(
            img_path='images/training', seg_map_path='annotations/training'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        data_prefix=dict(
            img_path='images/validation',
            seg_map_path='annotations/validation'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

# mmseg keeps its hooks in the schedule files; toy_iters.py is shared with
# mmdet, whose runtime already defines them, so they live here.
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # interval=-1 with save_last: one checkpoint, at the end of training.
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=-1, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
