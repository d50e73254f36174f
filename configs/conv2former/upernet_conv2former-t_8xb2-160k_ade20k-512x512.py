_base_ = './upernet_conv2former-n_8xb2-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(
        arch='t',
        drop_path_rate=0.2,
        init_cfg=dict(checkpoint='pretrain/conv2former_t.pth.tar')),
    decode_head=dict(in_channels=[72, 144, 288, 576]),
    auxiliary_head=dict(in_channels=288))
