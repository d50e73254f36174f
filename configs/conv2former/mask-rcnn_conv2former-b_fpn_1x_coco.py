_base_ = './mask-rcnn_conv2former-n_fpn_1x_coco.py'
model = dict(
    backbone=dict(
        arch='b',
        drop_path_rate=0.4,
        init_cfg=dict(checkpoint='pretrain/conv2former_b.pth.tar')),
    neck=dict(in_channels=[96, 192, 384, 768]))
