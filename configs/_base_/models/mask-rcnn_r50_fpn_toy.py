# Mask R-CNN R50-FPN sized for the toy COCO set on a CPU: 3 classes, trained
# from scratch, with 64-channel FPN levels and heads (COCO's: 256) and fewer
# proposals, RoIs and detections (COCO's: 1000 proposals, 512 RoIs, 100
# detections per image). Toy images hold 5-9 objects of 18-41 px; at COCO's
# widths the RoI heads cost most of a CPU iteration. Leaves swap the
# backbone and set ``neck.in_channels``.
_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'
width = 64
model = dict(
    # From scratch: no ImageNet weights, and BN statistics must be learnt.
    backbone=dict(init_cfg=None, norm_eval=False),
    neck=dict(out_channels=width),
    rpn_head=dict(in_channels=width, feat_channels=width),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=width),
        bbox_head=dict(in_channels=width, fc_out_channels=256, num_classes=3),
        mask_roi_extractor=dict(out_channels=width),
        mask_head=dict(
            in_channels=width, conv_out_channels=width, num_classes=3)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(
        rpn=dict(nms_pre=500, max_per_img=100),
        rcnn=dict(max_per_img=20)))
