# SSDLite with MobileNetV2 + coordinate attention (the official mbv2_ca.py
# placement), trained from scratch on toy COCO (CPU).
_base_ = './ssdlite_mobilenet-v2_toy-coco.py'
model = dict(backbone=dict(attention=dict(type='mmattn.CoordAttention')))
