# MobileNetV2 + coordinate attention (official mbv2_ca.pth) at output
# stride 16.
_base_ = './deeplabv3_mobilenet-v2-d16_4xb4-20k_voc12aug-512x512.py'
model = dict(
    backbone=dict(
        attention=dict(type='mmattn.CoordAttention'),
        init_cfg=dict(checkpoint='pretrain/mbv2_ca.pth')))
