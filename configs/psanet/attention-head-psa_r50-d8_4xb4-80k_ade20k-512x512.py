# PSANet's bi-directional point-wise spatial attention; masks of 63x63 cover
# the 32x32 shrunk map of a 512x512 crop. mmseg PSAHead, R-50-D8, ADE20K
# 512x512: 41.14 mIoU (80k), 41.67 (160k).
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
        block=dict(
            type='mmattn.PSA',
            ratio=1.0,
            mask_size=(63, 63),
            psa_type='bi-direction',
            shrink_factor=2)),
    auxiliary_head=dict(num_classes=150))
