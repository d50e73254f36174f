# EncodingContext (Zhang et al. 2018): EncNet encodes the last stage's
# features; here in every block of c5, after its last BN.
_base_ = '../_base_/upernet_r50_4xb4-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.EncodingContext'),
             stages=(False, False, False, True),
             position='after_conv3'),
    ]))
