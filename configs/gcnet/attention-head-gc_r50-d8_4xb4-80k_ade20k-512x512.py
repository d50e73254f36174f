# The GCNet example as one config: dilated ResNet-50 + a global context block
# in an FCN-style head (ratio 1/4, attention pooling, channel add), as mmseg's
# GCHead. mmseg GCHead, R-50-D8, ADE20K 512x512: 41.47 mIoU (80k), 42.37
# (160k).
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(
            type='mmattn.GlobalContext',
            ratio=1 / 4,
            pooling_type='att',
            fusion_types=('channel_add', ))))
