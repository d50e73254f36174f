# MobileNetV2 + coordinate attention under mmdet's from-scratch recipe.
_base_ = './ssdlite_mobilenet-v2-scratch_8xb24-600e_coco.py'
model = dict(backbone=dict(attention=dict(type='mmattn.CoordAttention')))
