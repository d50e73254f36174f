# DeepLabV3 with MobileNetV2 at output stride 8 (mmseg's settings) sized for
# the toy ADE20K set on a CPU: 3 classes, 128x128 crops, trained from
# scratch with plain BN, an ASPP head of 64 channels (ADE20K's: 512) and a
# 32-channel auxiliary FCN head on stage 4. Leaves set the backbone's
# attention.
_base_ = 'mmseg::_base_/models/deeplabv3_r50-d8.py'
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=(128, 128)),  # toy_ade20k.py's crop_size
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmattn.MobileNetV2',
        strides=(1, 2, 2, 1, 1, 1, 1),
        dilations=(1, 1, 1, 2, 2, 4, 4),
        out_indices=(1, 2, 4, 6),
        norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=320, channels=64, num_classes=3, norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels=96, channels=32, num_classes=3, norm_cfg=norm_cfg))
