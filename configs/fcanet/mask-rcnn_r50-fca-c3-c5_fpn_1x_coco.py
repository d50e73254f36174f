# FcaNet (Qin et al. 2021): multi-spectral channel attention after the last BN
# of each residual branch (top-16 frequencies, 7x7 DCT), in c3-c5.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.FcaNet', ratio=1 / 16),
             stages=(False, True, True, True),
             position='after_conv3'),
    ]))
