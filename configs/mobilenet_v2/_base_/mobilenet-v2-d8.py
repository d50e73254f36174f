# The backbone of the segmentation configs: mmattn.MobileNetV2 with mmseg's
# DeepLab settings for output stride 8 (those of mmseg's mobilenet_v2
# configs), SyncBN and mmseg's ImageNet weights (mmpretrain's, the file of
# mmcls://mobilenet_v2). Leaves swap their host's backbone for it with
# backbone={{_base_.mobilenet_v2_d8}}.
_base_ = '../../_base_/mmattn_imports.py'
mobilenet_v2_d8 = dict(
    _delete_=True,
    type='mmattn.MobileNetV2',
    strides=(1, 2, 2, 1, 1, 1, 1),
    dilations=(1, 1, 1, 2, 2, 4, 4),
    out_indices=(1, 2, 4, 6),
    norm_cfg=dict(type='SyncBN', requires_grad=True),
    init_cfg=dict(
        type='Pretrained',
        checkpoint='pretrain/'
        'mobilenet_v2_batch256_imagenet_20200708-3b2dc3af.pth'))
