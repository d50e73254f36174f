_base_ = './upernet_van-b0_4xb4-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(
        arch='b5',
        drop_path_rate=0.4,
        init_cfg=dict(checkpoint='pretrain/van_b5_22k.pth')),
    decode_head=dict(in_channels=[96, 192, 480, 768]),
    auxiliary_head=dict(in_channels=480))
