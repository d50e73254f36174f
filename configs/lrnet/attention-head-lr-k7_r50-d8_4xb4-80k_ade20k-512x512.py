# A local relation layer (7x7 windows, 8 channels per aggregation group,
# geometry prior) between the head's convs. The paper reports ImageNet
# results only.
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(type='mmattn.LocalRelation', kernel_size=7)))
