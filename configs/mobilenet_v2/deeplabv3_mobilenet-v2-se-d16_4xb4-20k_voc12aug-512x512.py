# MobileNetV2 + SE (C // 24, ReLU6) at output stride 16. No ImageNet weights
# are published: pretrain the backbone and point init_cfg at them.
_base_ = './deeplabv3_mobilenet-v2-d16_4xb4-20k_voc12aug-512x512.py'
model = dict(
    backbone=dict(
        attention=dict(type='mmattn.SE', ratio=24, act_cfg=dict(type='ReLU6')),
        init_cfg=dict(checkpoint='pretrain/mobilenet-v2-se_in1k.pth')))
