# One disentangled non-local block on res4, where the non-local block of the
# NL paper's Mask R-CNN experiments sits (and the repo's NonLocal config).
# mmdet's ResNet has no hook between two blocks of a stage, so it runs on
# res4's output before the FPN: res5 does not see it.
_base_ = '../_base_/mask-rcnn_r50_attention-neck_1x_coco.py'
model = dict(
    neck=dict(
        block=dict(type='mmattn.DNL', reduction=2, temperature=0.05),
        levels=(2, )))
