# External attention (two 64-slot memories, double normalisation): EANet's
# head is conv 2048->512, EA, conv, as here. The paper reports 45.33 mIoU on
# ADE20K with dilated ResNet-101.
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
        block=dict(type='mmattn.ExternalAttention', memory_size=64)),
    auxiliary_head=dict(num_classes=150))
