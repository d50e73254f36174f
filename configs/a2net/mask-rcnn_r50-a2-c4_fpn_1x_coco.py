# Double attention blocks after conv3 of every res4 bottleneck (mmdet's plug-in
# position). A2-Net inserts blocks between the residual blocks of res3/res4 for
# ImageNet and video; it reports no COCO result.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(plugins=[
        dict(
            cfg=dict(type='mmattn.DoubleAttention', ratio=1 / 4),
            stages=(False, False, True, False),
            position='after_conv3')
    ]))
