# MobileNetV2 + CBAM (reduction 24, as SE, which gives the CA README's
# 3.89M; at the same place). No ImageNet weights are published: pretrain
# the backbone and point init_cfg at them.
_base_ = './ssdlite_mobilenet-v2_8xb24-600e_coco.py'
model = dict(
    backbone=dict(
        attention=dict(type='mmattn.CBAM', ratio=24),
        init_cfg=dict(checkpoint='pretrain/mobilenet-v2-cbam_in1k.pth')))
