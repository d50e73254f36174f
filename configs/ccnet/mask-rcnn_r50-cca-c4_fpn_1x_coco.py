# Recurrent criss-cross attention (R = 2) on res4, where the non-local block of
# the Mask R-CNN experiments sits (CCNet follows that protocol: one module
# before the last res4 block). As for NonLocal, mmdet's ResNet has no hook
# between two blocks of a stage, so it runs on res4's output before the FPN.
_base_ = '../_base_/mask-rcnn_r50_attention-neck_1x_coco.py'
model = dict(
    neck=dict(
        block=dict(type='mmattn.CrissCross', recurrence=2),
        levels=(2, )))
