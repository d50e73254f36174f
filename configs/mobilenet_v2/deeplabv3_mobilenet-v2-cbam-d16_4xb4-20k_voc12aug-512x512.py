# MobileNetV2 + CBAM (reduction 24) at output stride 16. No ImageNet weights
# are published: pretrain the backbone and point init_cfg at them.
_base_ = './deeplabv3_mobilenet-v2-d16_4xb4-20k_voc12aug-512x512.py'
model = dict(
    backbone=dict(
        attention=dict(type='mmattn.CBAM', ratio=24),
        init_cfg=dict(checkpoint='pretrain/mobilenet-v2-cbam_in1k.pth')))
