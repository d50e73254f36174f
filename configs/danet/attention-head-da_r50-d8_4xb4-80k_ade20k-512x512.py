# DANet's position and channel attention (PAM + CAM) on one residual.
# mmseg DAHead, R-50-D8, ADE20K 512x512: 41.66 mIoU (80k), 42.45 (160k).
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(type='mmattn.DANet')))
