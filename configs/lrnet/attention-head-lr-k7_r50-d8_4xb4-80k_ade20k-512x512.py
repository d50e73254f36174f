# A local relation layer (7x7 windows, 8 channels per aggregation group,
# geometry prior) between the head's convs. The paper reports ImageNet
# results only.
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
        block=dict(type='mmattn.LocalRelation', kernel_size=7)),
    auxiliary_head=dict(num_classes=150))
