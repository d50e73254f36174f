# DeepLabV3 with MobileNetV2 + coordinate attention (the official mbv2_ca.py
# placement), from scratch on toy ADE20K (CPU).
_base_ = './deeplabv3_mobilenet-v2-d8_toy-ade20k.py'
model = dict(backbone=dict(attention=dict(type='mmattn.CoordAttention')))
