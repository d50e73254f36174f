# One disentangled non-local block on res4, where the non-local block of the
# NL paper's Mask R-CNN experiments sits (and the repo's NonLocal config).
# mmdet's ResNet has no hook between two blocks of a stage, so it runs on
# res4's output before the FPN: res5 does not see it.
_base_ = '../attention/_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    neck=dict(
        _delete_=True,
        type='mmattn.AttentionNeck',
        neck=dict(
            type='FPN',
            in_channels=[256, 512, 1024, 2048],
            out_channels=256,
            num_outs=5),
        block=dict(type='mmattn.DNL', reduction=2, temperature=0.05),
        levels=(2, ),
        position='before'))
