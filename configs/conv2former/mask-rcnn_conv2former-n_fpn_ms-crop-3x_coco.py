# Mask R-CNN 3x with Conv2Former-N on COCO, 8x2 images: the setting of the
# paper (3x, multi-scale training), through the recipe Swin and ConvNeXt use
# in mmdet (DETR-style resize-and-crop augmentation, 36 epochs, steps at 27
# and 33, AdamW lr 1e-4, weight decay 0.05, none on norms, biases and layer
# scales). The box loss stays mmdet's L1; see README.md for GIoU.
_base_ = [
    'mmdet::swin/mask-rcnn_swin-t-p4-w7_fpn_ms-crop-3x_coco.py',
    '../_base_/mmattn_imports.py',
]
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmattn.Conv2Former',
        arch='n',
        drop_path_rate=0.1,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained', checkpoint='pretrain/conv2former_n.pth.tar')),
    neck=dict(in_channels=[64, 128, 256, 512]))
optim_wrapper = dict(
    paramwise_cfg=dict(
        _delete_=True,
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={'layer_scale': dict(decay_mult=0.)}))
