# mmdet's Mask R-CNN R50-FPN 1x COCO, with mmattn's modules registered. The
# attention leaves add their block with mmdet ResNet's `plugins`, which chain
# correctly (several plug-ins at one position each see the previous output).
#
# Note: this base keeps mmdet's `frozen_stages=1` (c2 frozen, so plug-ins go
# in c3-c5 to be trained) and `norm_eval=True`, which puts every BatchNorm of
# the backbone in eval mode, the plug-ins' BNs included: those then normalise
# with their initial statistics (mean 0, variance 1) and only their affine
# weights learn.
_base_ = [
    'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
    './mmattn_imports.py',
]
