# CoordAttention (Hou et al. 2021): the official MobileNetV2 puts it after the
# depthwise 3x3 conv; the ResNet analogue is after conv2, r = 32, in c3-c5.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.CoordAttention', ratio=1 / 32),
             stages=(False, True, True, True),
             position='after_conv2'),
    ]))
