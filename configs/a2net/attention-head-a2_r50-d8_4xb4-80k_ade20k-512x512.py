# Double attention (A2-Net: gather, then distribute) as the context block.
# mmseg has no A2-Net head; the paper reports no segmentation result.
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(type='mmattn.DoubleAttention', ratio=1 / 4)))
