# Asymmetric fusion non-local block (ANN): queries from the reduced res5,
# keys and values pyramid-pooled from res4 (low_index=2, 1024 channels).
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
        low_index=2,
        block=dict(
            type='mmattn.AFNB', low_channels=1024, pool_scales=(1, 3, 6, 8))),
    auxiliary_head=dict(num_classes=150))
