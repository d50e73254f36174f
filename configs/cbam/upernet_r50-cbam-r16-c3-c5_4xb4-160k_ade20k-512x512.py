# CBAM (Woo et al. 2018): after the last BN of each residual branch (as the
# official ResNet), r = 16, in c3-c5.
_base_ = '../_base_/upernet_r50_4xb4-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.CBAM', ratio=1 / 16),
             stages=(False, True, True, True),
             position='after_conv3'),
    ]))
