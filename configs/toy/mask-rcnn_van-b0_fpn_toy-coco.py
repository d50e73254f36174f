# Mask R-CNN with VAN-B0 and FPN, trained from scratch on toy COCO (CPU).
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn_toy.py',
    '../_base_/datasets/toy_coco.py',
    '../_base_/schedules/toy_iters.py',
    '../_base_/mmattn_imports.py',
]
model = dict(
    backbone=dict(_delete_=True, type='mmattn.VAN', arch='b0'),
    neck=dict(in_channels=[32, 64, 160, 256]))
