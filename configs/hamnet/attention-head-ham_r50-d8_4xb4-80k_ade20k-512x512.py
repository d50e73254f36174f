# Hamburger (NMF, rank 64, 6 training / 7 eval updates, one-step gradient)
# between the head's convs, on the head's 512 channels as HamNet's head.
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
            type='mmattn.Hamburger', num_bases=64, train_steps=6,
            eval_steps=7)),
    auxiliary_head=dict(num_classes=150))
