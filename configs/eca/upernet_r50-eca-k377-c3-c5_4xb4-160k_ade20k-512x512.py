# ECA (Wang et al. 2020): after the last BN of each residual branch, with the
# kernel sizes of the official Mask R-CNN ECA-Net50 (k3377) in c3-c5.
_base_ = '../_base_/upernet_r50_4xb4-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.ECA', kernel_size=3),
             stages=(False, True, False, False),
             position='after_conv3'),
        dict(cfg=dict(type='mmattn.ECA', kernel_size=7),
             stages=(False, False, True, True),
             position='after_conv3'),
    ]))
