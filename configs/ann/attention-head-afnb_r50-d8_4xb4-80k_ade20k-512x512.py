# Asymmetric fusion non-local block (ANN): queries from the reduced res5,
# keys and values pyramid-pooled from res4 (low_index=2, 1024 channels).
# mmseg ANNHead (AFNB + APNB), R-50-D8, ADE20K 512x512: 41.01 mIoU (80k),
# 41.74 (160k).
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        low_index=2,
        block=dict(
            type='mmattn.AFNB', low_channels=1024, pool_scales=(1, 3, 6, 8))))
