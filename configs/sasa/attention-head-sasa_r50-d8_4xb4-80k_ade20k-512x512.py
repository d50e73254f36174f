# Stand-alone local self-attention (7x7 window, 8 heads) as the context block.
# The paper reports no segmentation result.
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(type='mmattn.SASA', kernel_size=7, heads=8)))
