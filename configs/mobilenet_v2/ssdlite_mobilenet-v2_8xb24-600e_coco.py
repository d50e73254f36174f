# SSDLite320 on COCO with an ImageNet-pretrained mmattn.MobileNetV2: mmdet's
# recipe (SSDNeck, SSDHead, anchors, pipeline, 8x24 images, 600 epochs) with
# the backbone initialised from torchvision's weights, as the CA authors'
# SSDLite code does (mmdet's own config trains from scratch).
_base_ = [
    'mmdet::ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py',
    '../_base_/mmattn_imports.py',
]
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmattn.MobileNetV2',
        out_indices=(4, 7),  # 96 channels at stride 16, 1280 at 32
        norm_cfg=dict(type='BN', eps=0.001, momentum=0.03),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrain/mobilenet_v2-b0353104.pth')),
    # mmdet 3.3.0's SSDHead cannot predict (mmdet#11305); mmattn's can
    bbox_head=dict(type='mmattn.SSDHead'))
