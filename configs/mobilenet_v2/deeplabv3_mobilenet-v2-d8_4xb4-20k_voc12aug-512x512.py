# DeepLabV3 with an ImageNet-pretrained mmattn.MobileNetV2 at output stride
# 8 on Pascal VOC 2012 + aug: mmseg's DeepLabV3 recipe (ASPP at rates 12, 24,
# 36, an FCN auxiliary head on stage 4, 20k iterations of 4x4 512x512 crops)
# with mmseg's MobileNetV2 settings and ImageNet weights.
_base_ = [
    'mmseg::deeplabv3/deeplabv3_r50-d8_4xb4-20k_voc12aug-512x512.py',
    './_base_/mobilenet-v2-d8.py',
]
model = dict(
    pretrained=None,  # the backbone's init_cfg loads the weights
    backbone={{_base_.mobilenet_v2_d8}},
    decode_head=dict(in_channels=320),
    auxiliary_head=dict(in_channels=96))
