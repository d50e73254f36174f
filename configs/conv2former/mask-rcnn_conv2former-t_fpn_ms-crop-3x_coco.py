_base_ = './mask-rcnn_conv2former-n_fpn_ms-crop-3x_coco.py'
model = dict(
    backbone=dict(
        arch='t',
        drop_path_rate=0.2,
        init_cfg=dict(checkpoint='pretrain/conv2former_t.pth.tar')),
    neck=dict(in_channels=[72, 144, 288, 576]))
