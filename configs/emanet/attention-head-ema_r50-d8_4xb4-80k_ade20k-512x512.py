# Expectation-maximisation attention (64 bases, 3 EM steps, momentum 0.1) as
# the context block. mmseg's EMAHead has Cityscapes results only (no ADE20K).
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
            type='mmattn.EMAU', num_bases=64, num_stages=3, momentum=0.1)),
    auxiliary_head=dict(num_classes=150))
