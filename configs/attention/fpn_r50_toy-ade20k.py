# Semantic FPN with mmseg's ResNet-50 V1c, trained from scratch on toy ADE20K.
_base_ = [
    'mmseg::_base_/models/fpn_r50.py',
    '../_base_/datasets/toy_ade20k.py',
    '../_base_/schedules/toy_iters.py',
    '../_base_/mmattn_imports.py',
]
crop_size = (128, 128)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained=None,
    decode_head=dict(num_classes=3))
