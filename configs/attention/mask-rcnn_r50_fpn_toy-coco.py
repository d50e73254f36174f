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
        bbox_head=dict(num_classes=3), mask_head=dict(num_classes=3)),
    # Toy images hold 3-6 objects: fewer proposals and RoIs than COCO's
    # (1000 proposals, 512 RoIs, 100 detections), which would cost most of
    # a CPU iteration in the RoI heads (the mask head above all).
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(
        rpn=dict(nms_pre=500, max_per_img=100),
        rcnn=dict(max_per_img=20)))
