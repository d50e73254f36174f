# Mask R-CNN 1x with Conv2Former-N on COCO, 8x2 images: AdamW lr 1e-4,
# weight decay 0.05 (none on norms, biases and layer scales), mmdet's 1x
# schedule and single-scale pipeline. The paper trains detectors for 3x only;
# this 1x recipe is ours (README.md). Weights: the official ImageNet-1k
# checkpoint, which loads as is.
_base_ = [
    'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
    '../_base_/mmattn_imports.py',
]
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmattn.Conv2Former',
        arch='n',
        drop_path_rate=0.1,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained', checkpoint='pretrain/conv2former_n.pth.tar')),
    neck=dict(in_channels=[64, 128, 256, 512]))
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=1e-4,
        betas=(0.9, 0.999),
        weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={'layer_scale': dict(decay_mult=0.)}))
