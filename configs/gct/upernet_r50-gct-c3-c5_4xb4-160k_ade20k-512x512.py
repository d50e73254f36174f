# GCT (Yang et al. 2020): the official ResNet puts a GCT before every conv; the
# nearest plug-in positions are before conv2 and conv3 (after_conv1 /
# after_conv2), in c3-c5.
_base_ = '../_base_/upernet_r50_4xb4-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.GCT', postfix=1),
             stages=(False, True, True, True),
             position='after_conv1'),
        dict(cfg=dict(type='mmattn.GCT', postfix=2),
             stages=(False, True, True, True),
             position='after_conv2'),
    ]))
