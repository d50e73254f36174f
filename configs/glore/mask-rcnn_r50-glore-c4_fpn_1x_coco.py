# GloRe units in res4, the paper's placement (its best ImageNet ResNet-50 adds
# 3 units to res4, between blocks 1-2, 3-4 and 5-6). mmdet's plugins put one
# in every res4 bottleneck (6 units), on the residual branch after conv3; each
# starts as the identity. normalize=True (projection / HW): the official code
# asks for it where the input size varies. The paper reports no COCO result.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(plugins=[
        dict(
            cfg=dict(type='mmattn.GloRe', reduction=4, normalize=True),
            stages=(False, False, True, False),
            position='after_conv3')
    ]))
