# External attention on res5's output (EANet's head position), before the FPN.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    neck=dict(
        _delete_=True,
        type='mmattn.AttentionNeck',
        neck=dict(
            type='FPN',
            in_channels=[256, 512, 1024, 2048],
            out_channels=256,
            num_outs=5),
        block=dict(type='mmattn.ExternalAttention', memory_size=64),
        levels=(3, ),
        position='before'))
