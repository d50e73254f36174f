# Global context blocks (GCNet, Cao et al. 2019), ratio 1/16, after conv3 of
# every c3-c5 bottleneck (the paper's placement). Semantic FPN on toy ADE20K,
# from scratch, for tools/analysis_tools/learning_check.py; mmattn.ResNetV1c
# chains plug-ins (mmseg 1.2.2's does not).
_base_ = './fpn_r50_toy-ade20k.py'
model = dict(
    backbone=dict(
        type='mmattn.ResNetV1c',
        plugins=[
            dict(cfg=dict(type='mmattn.GlobalContext', ratio=1 / 16),
                 stages=(False, True, True, True),
                 position='after_conv3'),
        ]))
