# Semantic FPN with mmseg's ResNet-50 V1c, trained from scratch on toy ADE20K
# (CPU): the baseline of the toy attention configs.
_base_ = [
    '../_base_/models/fpn_r50_toy.py',
    '../_base_/datasets/toy_ade20k.py',
    '../_base_/schedules/toy_iters.py',
    '../_base_/mmattn_imports.py',
]
