# Mask R-CNN with mmdet's ResNet-50 and FPN, trained from scratch on toy COCO.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/toy_coco.py',
    '../_base_/schedules/toy_iters.py',
    '../_base_/mmattn_imports.py',
]
model = dict(
    # From scratch: no ImageNet weights, and BN statistics must be learnt.
    backbone=dict(init_cfg=None, norm_eval=False),
    roi_head=dict(
        bbox_head=dict(num_classes=3), mask_head=dict(num_classes=3)))
