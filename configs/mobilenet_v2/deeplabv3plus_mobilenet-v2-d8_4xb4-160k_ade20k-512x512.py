# DeepLabV3+ with MobileNetV2 at output stride 8 on ADE20K: mmseg's own
# mobilenet_v2 config (160k iterations of 4x4 512x512 crops, the decoder on
# stage 1's 24 channels), its backbone swapped for mmattn.MobileNetV2 with
# the same settings and weights.
_base_ = [
    'mmseg::mobilenet_v2/'
    'mobilenet-v2-d8_deeplabv3plus_4xb4-160k_ade20k-512x512.py',
    './_base_/mobilenet-v2-d8.py',
]
model = dict(
    pretrained=None,  # the backbone's init_cfg loads the weights
    backbone={{_base_.mobilenet_v2_d8}})
