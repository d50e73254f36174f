# SE (Hu et al. 2018): after the last BN of each residual branch, r = 16, in
# c3-c5. Semantic FPN on toy ADE20K, from scratch; mmattn.ResNetV1c chains
# plug-ins (mmseg 1.2.2's does not).
_base_ = './fpn_r50_toy-ade20k.py'
model = dict(
    backbone=dict(
        type='mmattn.ResNetV1c',
        plugins=[
            dict(cfg=dict(type='mmattn.SE', ratio=1 / 16),
                 stages=(False, True, True, True),
                 position='after_conv3'),
        ]))
