# scSE (Roy et al. 2018): max fusion (official code), after the last BN of each
# residual branch, r = 16 (the official r = 2 would add about 20M parameters
# here), in c3-c5.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.scSE', ratio=1 / 16),
             stages=(False, True, True, True),
             position='after_conv3'),
    ]))
