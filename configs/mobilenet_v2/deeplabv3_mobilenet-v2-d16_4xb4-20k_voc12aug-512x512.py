# DeepLabV3 with an ImageNet-pretrained mmattn.MobileNetV2 at output stride
# 16 on Pascal VOC 2012 + aug: mmseg's DeepLabV3 recipe (ASPP at rates 6, 12,
# 18 for stride 16, an FCN auxiliary head on stage 4, 20k iterations of 4x4
# 512x512 crops), mmseg's MobileNetV2 settings (as in its mobilenet_v2
# configs) and its mmpretrain ImageNet weights (mmcls://mobilenet_v2).
_base_ = [
    'mmseg::deeplabv3/deeplabv3_r50-d8_4xb4-20k_voc12aug-512x512.py',
    '../_base_/mmattn_imports.py',
]
model = dict(
    pretrained=None,  # the backbone's init_cfg loads the weights
    backbone=dict(
        _delete_=True,
        type='mmattn.MobileNetV2',
        strides=(1, 2, 2, 2, 1, 1, 1),
        dilations=(1, 1, 1, 1, 1, 2, 2),
        out_indices=(1, 2, 4, 6),
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrain/'
            'mobilenet_v2_batch256_imagenet_20200708-3b2dc3af.pth')),
    decode_head=dict(in_channels=320, dilations=(1, 6, 12, 18)),
    auxiliary_head=dict(in_channels=96))
