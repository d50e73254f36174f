_base_ = './retinanet_van-b0_fpn_1x_coco.py'
model = dict(
    backbone=dict(
        arch='b3', init_cfg=dict(checkpoint='pretrain/van_b3.pth')),
    neck=dict(in_channels=[64, 128, 320, 512]))
