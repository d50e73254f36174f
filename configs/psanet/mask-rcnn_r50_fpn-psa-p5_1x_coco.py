# PSANet's bi-directional point-wise spatial attention on the FPN's P5 (256
# channels): on res5 (2048 channels) its final 3x3 fusion conv alone would
# hold 75M parameters. 63x63 masks cover the shrunk P5 of an 800x1333 image.
# The paper reports no COCO result.
_base_ = '../_base_/mask-rcnn_r50_attention-neck_1x_coco.py'
model = dict(
    neck=dict(
        block=dict(type='mmattn.PSA', mask_size=(63, 63)),
        levels=(3, ),
        position='after'))
