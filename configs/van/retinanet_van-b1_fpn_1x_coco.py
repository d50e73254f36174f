_base_ = './retinanet_van-b0_fpn_1x_coco.py'
model = dict(
    backbone=dict(
        arch='b1', init_cfg=dict(checkpoint='pretrain/van_b1.pth')),
    neck=dict(in_channels=[64, 128, 320, 512]))
