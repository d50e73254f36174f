# SAN's patchwise self-attention (7x7 windows) in place of the 3x3 conv of
# every bottleneck (mmdet ResNet's dcn slot), as SAN builds its networks from
# self-attention instead of spatial convs; the stem stays convolutional. No
# ImageNet weights exist for the layers, so c2 is not frozen. The paper
# reports ImageNet results only.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(
        frozen_stages=0,
        dcn=dict(type='mmattn.SANPatchwise', window_size=7),
        stage_with_dcn=(True, True, True, True)))
