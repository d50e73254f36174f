# GE (Hu et al. 2018): gather-excite with the global extent, after the last BN
# of each residual branch as SE, in c3-c5.
_base_ = '../_base_/upernet_r50_4xb4-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.GE'),
             stages=(False, True, True, True),
             position='after_conv3'),
    ]))
