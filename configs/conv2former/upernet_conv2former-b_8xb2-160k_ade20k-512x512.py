_base_ = './upernet_conv2former-n_8xb2-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(
        arch='b',
        drop_path_rate=0.4,
        init_cfg=dict(checkpoint='pretrain/conv2former_b.pth.tar')),
    decode_head=dict(in_channels=[96, 192, 384, 768]),
    auxiliary_head=dict(in_channels=384))
