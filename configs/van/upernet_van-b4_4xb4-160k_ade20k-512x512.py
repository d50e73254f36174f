_base_ = './upernet_van-b0_4xb4-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(
        arch='b4',
        drop_path_rate=0.4,
        init_cfg=dict(checkpoint='pretrain/van_b4.pth')),
    decode_head=dict(in_channels=[64, 128, 320, 512]),
    auxiliary_head=dict(in_channels=320))
