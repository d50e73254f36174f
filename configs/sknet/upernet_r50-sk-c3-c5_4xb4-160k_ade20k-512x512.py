# SK (Li et al. 2019): SKNet's selective kernel conv (3x3 and dilated 3x3, G =
# 32) replaces the 3x3 conv; as a plug-in it follows it (after_conv2), in
# c3-c5.
_base_ = '../_base_/upernet_r50_4xb4-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.SK'),
             stages=(False, True, True, True),
             position='after_conv2'),
    ]))
