# Non-local block (embedded Gaussian) between the head's convs: mmseg's NLHead.
# mmseg NLHead, R-50-D8, ADE20K 512x512: 40.75 mIoU (80k), 42.03 (160k).
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
            type='mmattn.NonLocal',
            reduction=2,
            use_scale=True,
            mode='embedded_gaussian')),
    auxiliary_head=dict(num_classes=150))
