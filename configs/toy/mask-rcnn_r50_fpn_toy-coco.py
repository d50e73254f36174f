# Mask R-CNN R50-FPN, trained from scratch on toy COCO (CPU): the baseline of
# the toy attention configs.
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn_toy.py',
    '../_base_/datasets/toy_coco.py',
    '../_base_/schedules/toy_iters.py',
    '../_base_/mmattn_imports.py',
]
