# Disentangled non-local AttentionHead on a tiny dilated ResNet-18, trained on
# toy ADE20K.
_base_ = [
    '../_base_/models/attention-head_r18-d8-tiny.py',
    '../_base_/datasets/toy_ade20k.py',
    '../_base_/schedules/toy_iters.py',
    '../_base_/mmattn_imports.py',
]
model = dict(decode_head=dict(block=dict(type='mmattn.DNL', reduction=2)))
