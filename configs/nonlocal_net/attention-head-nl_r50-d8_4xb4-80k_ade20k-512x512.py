# Non-local block (embedded Gaussian) between the head's convs: mmseg's NLHead.
# mmseg NLHead, R-50-D8, ADE20K 512x512: 40.75 mIoU (80k), 42.03 (160k).
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(
            type='mmattn.NonLocal',
            reduction=2,
            use_scale=True,
            mode='embedded_gaussian')))
