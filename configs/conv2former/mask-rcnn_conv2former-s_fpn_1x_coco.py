_base_ = './mask-rcnn_conv2former-n_fpn_1x_coco.py'
model = dict(
    backbone=dict(
        arch='s',
        drop_path_rate=0.3,
        init_cfg=dict(checkpoint='pretrain/conv2former_s.pth.tar')),
    neck=dict(in_channels=[72, 144, 288, 576]))
