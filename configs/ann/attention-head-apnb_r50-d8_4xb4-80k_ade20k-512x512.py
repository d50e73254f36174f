# Asymmetric pyramid non-local block (ANN), key pyramid 1, 3, 6, 8.
# mmseg ANNHead (AFNB + APNB), R-50-D8, ADE20K 512x512: 41.01 mIoU (80k),
# 41.74 (160k).
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(type='mmattn.APNB', pool_scales=(1, 3, 6, 8))))
