_base_ = './retinanet_van-b0_fpn_1x_coco.py'
model = dict(
    backbone=dict(
        arch='b2', init_cfg=dict(checkpoint='pretrain/van_b2.pth')),
    neck=dict(in_channels=[64, 128, 320, 512]))
