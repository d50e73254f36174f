# Mask R-CNN 1x with VAN-B0 on COCO: AdamW lr 1e-4, weight decay 0.05, 8x2
# images. ImageNet-1k weights: the official van_tiny_754.pth.tar (or the
# mmpretrain / mmseg file); any of the three layouts loads as is.
_base_ = [
    'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
    '../_base_/mmattn_imports.py',
]
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmattn.VAN',
        arch='b0',
        drop_path_rate=0.1,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/van_b0.pth')),
    neck=dict(in_channels=[32, 64, 160, 256]))
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=1e-4, weight_decay=0.05))
