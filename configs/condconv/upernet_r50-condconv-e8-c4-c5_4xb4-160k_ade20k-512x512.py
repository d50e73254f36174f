# CondConv (Yang et al. 2019): a conditionally parameterised 3x3 conv with 8
# experts after conv2, in c4-c5 (8 experts at 512 channels are 18.9M parameters
# per block).
_base_ = '../_base_/upernet_r50_4xb4-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.CondConv', num_experts=8),
             stages=(False, False, True, True),
             position='after_conv2'),
    ]))
