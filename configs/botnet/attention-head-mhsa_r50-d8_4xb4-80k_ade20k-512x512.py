# BoTNet's global multi-head self-attention with 2D relative positions; the
# tables cover the 64x64 head input of a 512x512 crop (larger maps at test time
# clip the offsets). The paper reports no segmentation result.
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
        block=dict(type='mmattn.MHSA', heads=4, rel_pos_size=64)),
    auxiliary_head=dict(num_classes=150))
