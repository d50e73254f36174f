# mmdet's SSDLite MobileNetV2 from scratch, with mmattn.MobileNetV2 (the
# same modules and mmdet's TruncNormal init): the baseline of the scratch CA
# variant.
_base_ = './ssdlite_mobilenet-v2_8xb24-600e_coco.py'
model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True, type='TruncNormal', layer='Conv2d', std=0.03)))
