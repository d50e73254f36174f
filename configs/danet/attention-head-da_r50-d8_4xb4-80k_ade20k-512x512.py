# DANet's position and channel attention (PAM + CAM) on one residual.
# mmseg DAHead, R-50-D8, ADE20K 512x512: 41.66 mIoU (80k), 42.45 (160k).
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
        block=dict(type='mmattn.DANet')),
    auxiliary_head=dict(num_classes=150))
