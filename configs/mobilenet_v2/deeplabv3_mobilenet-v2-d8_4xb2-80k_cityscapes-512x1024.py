# DeepLabV3 with MobileNetV2 at output stride 8 on Cityscapes: mmseg's own
# mobilenet_v2 config (80k iterations of 4x2 512x1024 crops), its backbone
# swapped for mmattn.MobileNetV2 with the same settings and weights.
_base_ = [
    'mmseg::mobilenet_v2/'
    'mobilenet-v2-d8_deeplabv3_4xb2-80k_cityscapes-512x1024.py',
    '../_base_/mmattn_imports.py',
]
model = dict(
    pretrained=None,  # the backbone's init_cfg loads the weights
    backbone=dict(
        _delete_=True,
        type='mmattn.MobileNetV2',
        strides=(1, 2, 2, 1, 1, 1, 1),
        dilations=(1, 1, 1, 2, 2, 4, 4),
        out_indices=(1, 2, 4, 6),
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrain/'
            'mobilenet_v2_batch256_imagenet_20200708-3b2dc3af.pth')))
