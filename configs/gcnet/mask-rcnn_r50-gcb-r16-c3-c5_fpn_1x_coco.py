# Global context blocks (ratio 1/16) after conv3 of every c3-c5 bottleneck: the
# GCNet paper's placement and mmdet's configs/gcnet. mmdet's GCNet model zoo,
# R-50-FPN Mask R-CNN 1x: 39.7 box / 35.9 mask AP (plain baseline 38.2 / 34.7).
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(plugins=[
        dict(
            cfg=dict(type='mmattn.GlobalContext', ratio=1 / 16),
            stages=(False, True, True, True),
            position='after_conv3')
    ]))
