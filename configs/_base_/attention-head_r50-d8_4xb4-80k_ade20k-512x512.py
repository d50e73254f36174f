# mmattn.AttentionHead on mmseg's dilated ResNet-50, ADE20K 512x512, 80k
# iterations: the data, schedule and runtime of mmseg's NLHead and CCHead
# configs. A leaf sets model.decode_head.block.
_base_ = [
    './models/attention-head_r50-d8.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
    './mmattn_imports.py',
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(num_classes=150),
    auxiliary_head=dict(num_classes=150))
