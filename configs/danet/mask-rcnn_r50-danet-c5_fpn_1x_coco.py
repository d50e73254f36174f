# DANet's position + channel attention on res5's output (DANet's head
# position), before the FPN. The paper reports no COCO result.
_base_ = '../_base_/mask-rcnn_r50_attention-neck_1x_coco.py'
model = dict(
    neck=dict(
        block=dict(type='mmattn.DANet'),
        levels=(3, )))
