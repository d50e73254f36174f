# MobileNetV2 + coordinate attention (official mbv2_ca.pth), DeepLabV3 at
# output stride 8 on Cityscapes.
_base_ = './deeplabv3_mobilenet-v2-d8_4xb2-80k_cityscapes-512x1024.py'
model = dict(
    backbone=dict(
        attention=dict(type='mmattn.CoordAttention'),
        init_cfg=dict(checkpoint='pretrain/mbv2_ca.pth')))
