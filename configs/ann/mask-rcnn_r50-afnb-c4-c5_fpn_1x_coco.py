# Asymmetric fusion non-local block: res5 queries res4 (pyramid-pooled keys and
# values), ANN's fusion of its two last stages, before the FPN; low_channels
# (1024) is filled in from the FPN's in_channels. The paper reports no COCO
# result.
_base_ = '../_base_/mask-rcnn_r50_attention-neck_1x_coco.py'
model = dict(
    neck=dict(
        block=dict(type='mmattn.AFNB'),
        levels=(3, ),
        low_levels=(2, )))
