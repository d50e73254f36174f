# DeepLabV3 with MobileNetV2 at output stride 8 on Pascal VOC 2012 + aug:
# mmseg's d8 settings (its mobilenet_v2 configs), ASPP at rates 12, 24, 36.
_base_ = './deeplabv3_mobilenet-v2-d16_4xb4-20k_voc12aug-512x512.py'
model = dict(
    backbone=dict(
        strides=(1, 2, 2, 1, 1, 1, 1), dilations=(1, 1, 1, 2, 2, 4, 4)),
    decode_head=dict(dilations=(1, 12, 24, 36)))
