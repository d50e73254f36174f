# DeepLabV3 with MobileNetV2 (output stride 8), trained from scratch on toy
# ADE20K (CPU) for 600 iterations: the baseline of the SE / CBAM / CA toys.
_base_ = [
    '../_base_/models/deeplabv3_mobilenet-v2-d8_toy.py',
    '../_base_/datasets/toy_ade20k.py',
    '../_base_/schedules/toy_iters_600.py',
    '../_base_/mmattn_imports.py',
]
