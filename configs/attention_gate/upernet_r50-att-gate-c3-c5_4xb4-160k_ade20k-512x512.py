# AttentionGate (Oktay et al. 2018): the gate of Attention U-Net, self-gated (g
# = x) after the last BN of each residual branch, in c3-c5.
_base_ = '../_base_/upernet_r50_4xb4-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.AttentionGate'),
             stages=(False, True, True, True),
             position='after_conv3'),
    ]))
