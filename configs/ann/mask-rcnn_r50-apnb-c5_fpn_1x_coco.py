# Asymmetric pyramid non-local block on res5's output (ANN's head position),
# before the FPN. The paper reports no COCO result.
_base_ = '../_base_/mask-rcnn_r50_attention-neck_1x_coco.py'
model = dict(
    neck=dict(
        block=dict(type='mmattn.APNB'),
        levels=(3, )))
