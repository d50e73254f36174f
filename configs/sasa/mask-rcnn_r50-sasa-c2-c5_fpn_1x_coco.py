# Stand-alone self-attention (7x7 window, 8 heads) in place of the 3x3 conv of
# every bottleneck (mmdet ResNet's dcn slot builds exactly those convs); the
# stem stays convolutional, the paper's "conv stem" model. The paper's COCO
# experiments use RetinaNet: its attention model matches the ResNet-50
# baseline's mAP with 39% fewer FLOPS and 34% fewer parameters. No ImageNet
# weights exist for the attention layers, so c2 is not frozen.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(
        frozen_stages=0,
        dcn=dict(type='mmattn.SASA', window_size=7, heads=8),
        stage_with_dcn=(True, True, True, True)))
