# MobileNetV2 + coordinate attention, the official mbv2_ca.py model, from its
# ImageNet weights (houqb/CoordAttention mbv2_ca.pth, loaded as it is).
_base_ = './ssdlite_mobilenet-v2_8xb24-600e_coco.py'
model = dict(
    backbone=dict(
        attention=dict(type='mmattn.CoordAttention'),
        init_cfg=dict(checkpoint='pretrain/mbv2_ca.pth')))
