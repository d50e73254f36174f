# Semantic FPN R50 sized for the toy ADE20K set on a CPU: 3 classes, 128x128
# crops, trained from scratch, with 64-channel FPN levels and head (ADE20K's:
# 256 and 128). Leaves swap the backbone and set ``neck.in_channels``.
_base_ = 'mmseg::_base_/models/fpn_r50.py'
width = 64
model = dict(
    data_preprocessor=dict(size=(128, 128)),  # toy_ade20k.py's crop_size
    pretrained=None,
    neck=dict(out_channels=width),
    decode_head=dict(
        in_channels=[width] * 4, channels=width, num_classes=3))
