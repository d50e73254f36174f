# SAN's patchwise self-attention (7x7 windows, share_planes=8) between the
# head's convs. The paper reports ImageNet results only.
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(type='mmattn.SANPatchwise', kernel_size=7)))
