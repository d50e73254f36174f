# SSDLite320 on COCO with an ImageNet-pretrained mmattn.MobileNeXt: mmdet's
# SSDLite recipe with the backbone swapped, initialised from the official
# weights (the detection code's weights/mnext.pth.tar, loaded as it is).
# The neck reads stage 5 (384 channels, stride 16) and stage 8 (1280,
# stride 32); see README.md for the official code's feature taps.
_base_ = [
    'mmdet::ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py',
    '../_base_/mmattn_imports.py',
]
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmattn.MobileNeXt',
        out_indices=(4, 7),
        norm_cfg=dict(type='BN', eps=0.001, momentum=0.03),
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/mnext.pth.tar')),
    neck=dict(
        in_channels=(384, 1280),
        out_channels=(384, 1280, 512, 256, 256, 128)),
    # mmdet 3.3.0's SSDHead cannot predict (mmdet#11305); mmattn's can
    bbox_head=dict(
        type='mmattn.SSDHead',
        in_channels=(384, 1280, 512, 256, 256, 128)))
