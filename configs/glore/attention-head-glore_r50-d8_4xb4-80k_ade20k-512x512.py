# One GloRe unit between the head's convs: the paper's segmentation model is
# an FCN with one GloRe unit in its head. normalize=True (projection / HW):
# the official code asks for it where the input size varies, as between
# 512x512 crops and whole-image inference.
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
        block=dict(type='mmattn.GloRe', reduction=4, normalize=True)),
    auxiliary_head=dict(num_classes=150))
