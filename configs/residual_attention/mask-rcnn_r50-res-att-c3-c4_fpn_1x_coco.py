# ResidualAttention (Wang et al. 2017): the soft mask alone, (1 + M(x)) x, the
# host block being the trunk; mask depth 2 in c3 and 1 in c4, as Attention-56's
# stages 2 and 3 (c2 is frozen).
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.ResidualAttention', depth=2),
             stages=(False, True, False, False),
             position='after_conv3'),
        dict(cfg=dict(type='mmattn.ResidualAttention', depth=1),
             stages=(False, False, True, False),
             position='after_conv3'),
    ]))
