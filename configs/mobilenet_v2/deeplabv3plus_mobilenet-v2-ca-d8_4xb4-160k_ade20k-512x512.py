# MobileNetV2 + coordinate attention (official mbv2_ca.pth), DeepLabV3+ at
# output stride 8 on ADE20K.
_base_ = './deeplabv3plus_mobilenet-v2-d8_4xb4-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(
        attention=dict(type='mmattn.CoordAttention'),
        init_cfg=dict(checkpoint='pretrain/mbv2_ca.pth')))
