# CoordAttention (Hou et al. 2021): the official MobileNetV2 puts it after the
# depthwise 3x3 conv; the ResNet analogue is after conv2, r = 32, in c3-c5.
# Semantic FPN on toy ADE20K, from scratch; mmattn.ResNetV1c chains plug-ins
# (mmseg 1.2.2's does not).
_base_ = './fpn_r50_toy-ade20k.py'
model = dict(
    backbone=dict(
        type='mmattn.ResNetV1c',
        plugins=[
            dict(cfg=dict(type='mmattn.CoordAttention', ratio=1 / 32),
                 stages=(False, True, True, True),
                 position='after_conv2'),
        ]))
