# MobileNetV2 + SE (the CA paper's: C // 24, ReLU6, after the depthwise conv
# of every block that expands). No ImageNet weights are published: pretrain
# the backbone (e.g. with mmpretrain) and point init_cfg at them.
_base_ = './ssdlite_mobilenet-v2_8xb24-600e_coco.py'
model = dict(
    backbone=dict(
        attention=dict(type='mmattn.SE', ratio=24, act_cfg=dict(type='ReLU6')),
        init_cfg=dict(checkpoint='pretrain/mobilenet-v2-se_in1k.pth')))
