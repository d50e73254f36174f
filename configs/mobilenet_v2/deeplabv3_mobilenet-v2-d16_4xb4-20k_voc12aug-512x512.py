# DeepLabV3 with MobileNetV2 at output stride 16 on Pascal VOC 2012 + aug:
# the last two stages dilated instead of strided, and ASPP at rates 6, 12,
# 18 (mmseg's d16 configs); otherwise as the output stride 8 config.
_base_ = './deeplabv3_mobilenet-v2-d8_4xb4-20k_voc12aug-512x512.py'
model = dict(
    backbone=dict(
        strides=(1, 2, 2, 2, 1, 1, 1), dilations=(1, 1, 1, 1, 1, 2, 2)),
    decode_head=dict(dilations=(1, 6, 12, 18)))
