# DeepLabV3 with MobileNetV2 at output stride 8 on Cityscapes: mmseg's own
# mobilenet_v2 config (80k iterations of 4x2 512x1024 crops), its backbone
# swapped for mmattn.MobileNetV2 with the same settings and weights.
_base_ = [
    'mmseg::mobilenet_v2/'
    'mobilenet-v2-d8_deeplabv3_4xb2-80k_cityscapes-512x1024.py',
    './_base_/mobilenet-v2-d8.py',
]
model = dict(
    pretrained=None,  # the backbone's init_cfg loads the weights
    backbone={{_base_.mobilenet_v2_d8}})
