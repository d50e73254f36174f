# VAN-B4 (ImageNet-1k weights) is the one UperNet recipe of VAN-Segmentation
# with 8x4 images per iteration (32, `samples_per_gpu=4` on its 8 GPUs), where
# b0-b3, b5 and b6 use 8x2 (16); lr, schedule and head are the same.
_base_ = './upernet_van-b0_4xb4-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(
        arch='b4',
        drop_path_rate=0.4,
        init_cfg=dict(checkpoint='pretrain/van_b4.pth')),
    decode_head=dict(in_channels=[64, 128, 320, 512]),
    auxiliary_head=dict(in_channels=320))
