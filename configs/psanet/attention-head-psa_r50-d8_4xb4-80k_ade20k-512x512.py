# PSANet's bi-directional point-wise spatial attention; masks of 63x63 cover
# the 32x32 shrunk map of a 512x512 crop. mmseg PSAHead, R-50-D8, ADE20K
# 512x512: 41.14 mIoU (80k), 41.67 (160k).
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(
            type='mmattn.PSA',
            ratio=1.0,
            mask_size=(63, 63),
            psa_type='bi-direction',
            shrink_factor=2)))
