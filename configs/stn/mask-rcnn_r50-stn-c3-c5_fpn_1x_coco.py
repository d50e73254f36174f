# STN (Jaderberg et al. 2015): a spatial transformer (identity at init) after
# the last BN of each residual branch, in c3-c5.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.STN'),
             stages=(False, True, True, True),
             position='after_conv3'),
    ]))
