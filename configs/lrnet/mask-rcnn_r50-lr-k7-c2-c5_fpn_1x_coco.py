# Local relation layers (7x7 windows, geometry prior, 8 channels per
# aggregation group) in place of the 3x3 conv of every bottleneck, as LR-Net
# replaces ResNet's 3x3 convs (mmdet ResNet's dcn slot builds exactly those);
# the stem stays convolutional. No ImageNet weights exist for the layers, so
# c2 is not frozen. The paper reports ImageNet results only.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(
        frozen_stages=0,
        dcn=dict(type='mmattn.LocalRelation', window_size=7),
        stage_with_dcn=(True, True, True, True)))
