# SCConv (Liu et al. 2020): SCNet's self-calibrated conv replaces the 3x3 conv;
# as a plug-in it follows it (after_conv2), in c3-c5.
_base_ = '../_base_/upernet_r50_4xb4-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.SCConv'),
             stages=(False, True, True, True),
             position='after_conv2'),
    ]))
