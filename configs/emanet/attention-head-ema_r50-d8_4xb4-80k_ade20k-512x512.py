# Expectation-maximisation attention (64 bases, 3 EM steps, momentum 0.1) as
# the context block. mmseg's EMAHead has Cityscapes results only (no ADE20K).
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(
            type='mmattn.EMAU', num_bases=64, num_stages=3, momentum=0.1)))
