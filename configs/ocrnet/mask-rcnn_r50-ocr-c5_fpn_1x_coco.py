# OCR on res5's output, where OCRNet's head sits in segmentation; 80 soft
# object regions (COCO's classes, as OCRNet takes the data set's) from the
# block's own classifier, learned without a region loss. The paper reports no
# COCO result.
_base_ = '../attention/_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    neck=dict(
        _delete_=True,
        type='mmattn.AttentionNeck',
        neck=dict(
            type='FPN',
            in_channels=[256, 512, 1024, 2048],
            out_channels=256,
            num_outs=5),
        block=dict(type='mmattn.OCR', num_classes=80, reduction=2),
        levels=(3, ),
        position='before'))
