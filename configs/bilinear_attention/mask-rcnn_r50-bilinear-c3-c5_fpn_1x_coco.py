# BilinearAttention (Fang et al. 2019): the paper's network is an Inception; in
# a ResNet bottleneck it goes after conv2, where the m^2 cost of the bilinear
# map stays small, in c3-c5.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.BilinearAttention'),
             stages=(False, True, True, True),
             position='after_conv2'),
    ]))
