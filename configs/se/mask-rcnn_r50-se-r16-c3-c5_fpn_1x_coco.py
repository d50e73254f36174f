# SE (Hu et al. 2018): after the last BN of each residual branch, r = 16, in
# c3-c5.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.SE', ratio=1 / 16),
             stages=(False, True, True, True),
             position='after_conv3'),
    ]))
