# GSoP (Gao et al. 2019): second-order channel attention after the last BN of
# each residual branch, in c3-c5.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.GSoP'),
             stages=(False, True, True, True),
             position='after_conv3'),
    ]))
