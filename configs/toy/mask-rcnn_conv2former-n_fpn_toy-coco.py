# Mask R-CNN with Conv2Former-N, trained from scratch on toy COCO (CPU).
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn_toy.py',
    '../_base_/datasets/toy_coco.py',
    '../_base_/schedules/toy_iters.py',
    '../_base_/mmattn_imports.py',
]
model = dict(
    backbone=dict(_delete_=True, type='mmattn.Conv2Former', arch='n'),
    neck=dict(in_channels=[64, 128, 256, 512]))
