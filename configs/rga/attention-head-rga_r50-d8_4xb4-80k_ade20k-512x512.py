# Relation-aware global attention (spatial + channel) built for the 64x64 head
# input of a 512x512 crop; other sizes (whole-image testing) get the gates of
# the map resized to 64x64 (size_mismatch='resize'). The paper (person re-id)
# reports no segmentation result.
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
            type='mmattn.RGA', spatial_size=(64, 64), size_mismatch='resize')),
    auxiliary_head=dict(num_classes=150))
