# A tiny dilated ResNet-18 (16 base channels, output stride 8) with
# mmattn.AttentionHead, for CPU runs on the toy ADE20K set (3 classes, 128x128
# crops, plain BN, no pretrained weights). A leaf sets model.decode_head.block.
_base_ = './attention-head_r50-d8.py'
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=(128, 128)),
    backbone=dict(
        depth=18, stem_channels=16, base_channels=16, norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=128, channels=32, num_classes=3, norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels=64, channels=16, num_classes=3, norm_cfg=norm_cfg))
