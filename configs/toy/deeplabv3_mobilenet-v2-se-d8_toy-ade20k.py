# DeepLabV3 with MobileNetV2 + SE (C // 24, ReLU6, after the depthwise conv
# of every block that expands), from scratch on toy ADE20K (CPU).
_base_ = './deeplabv3_mobilenet-v2-d8_toy-ade20k.py'
se = dict(type='mmattn.SE', ratio=24, act_cfg=dict(type='ReLU6'))
model = dict(backbone=dict(attention=se))
