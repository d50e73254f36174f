# OCR on res5's output, where OCRNet's head sits in segmentation; 80 soft
# object regions (COCO's classes, as OCRNet takes the data set's) from the
# block's own classifier, learned without a region loss. The paper reports no
# COCO result.
_base_ = '../_base_/mask-rcnn_r50_attention-neck_1x_coco.py'
model = dict(
    neck=dict(
        block=dict(type='mmattn.OCR', num_classes=80, reduction=2),
        levels=(3, )))
