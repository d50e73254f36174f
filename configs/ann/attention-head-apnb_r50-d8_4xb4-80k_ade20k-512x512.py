# Asymmetric pyramid non-local block (ANN), key pyramid 1, 3, 6, 8.
# mmseg ANNHead (AFNB + APNB), R-50-D8, ADE20K 512x512: 41.01 mIoU (80k),
# 41.74 (160k).
_base_ = [
    '../_base_/models/attention-head_r50-d8.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
    '../_base_/mmattn_imports.py',
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(
        num_classes=150,
        block=dict(type='mmattn.APNB', pool_scales=(1, 3, 6, 8))),
    auxiliary_head=dict(num_classes=150))
