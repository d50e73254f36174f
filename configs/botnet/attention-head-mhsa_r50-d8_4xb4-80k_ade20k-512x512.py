# BoTNet's global multi-head self-attention with 2D relative positions; the
# tables cover the 64x64 head input of a 512x512 crop (larger maps at test time
# clip the offsets). The paper reports no segmentation result.
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(type='mmattn.MHSA', heads=4, rel_pos_size=64)))
