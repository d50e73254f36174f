# External attention on res5's output (EANet's head position), before the FPN.
_base_ = '../_base_/mask-rcnn_r50_attention-neck_1x_coco.py'
model = dict(
    neck=dict(
        block=dict(type='mmattn.ExternalAttention', memory_size=64),
        levels=(3, )))
