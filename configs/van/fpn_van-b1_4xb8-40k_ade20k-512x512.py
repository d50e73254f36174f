_base_ = './fpn_van-b0_4xb8-40k_ade20k-512x512.py'
model = dict(
    backbone=dict(
        arch='b1',
        drop_path_rate=0.2,
        init_cfg=dict(checkpoint='pretrain/van_b1.pth')),
    neck=dict(in_channels=[64, 128, 320, 512]))
