# VAN-Segmentation's `fpn_van_b4_ade20k_40k.py`: the b2 recipe (8x4 images,
# AdamW lr 2e-4, 40k iterations) with VAN-B4 and drop path 0.4.
_base_ = './fpn_van-b0_4xb8-40k_ade20k-512x512.py'
model = dict(
    backbone=dict(
        arch='b4',
        drop_path_rate=0.4,
        init_cfg=dict(checkpoint='pretrain/van_b4.pth')),
    neck=dict(in_channels=[64, 128, 320, 512]))
