# SK (Li et al. 2019): SKNet's selective kernel conv (3x3 and dilated 3x3, G =
# 32) replaces the 3x3 conv; as a plug-in it follows it (after_conv2), in
# c3-c5.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.SK'),
             stages=(False, True, True, True),
             position='after_conv2'),
    ]))
