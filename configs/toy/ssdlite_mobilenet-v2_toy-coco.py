# SSDLite with MobileNetV2, trained from scratch on toy COCO (CPU), for 600
# iterations.
_base_ = [
    '../_base_/models/ssdlite_mobilenet-v2_toy.py',
    '../_base_/datasets/toy_coco_bbox.py',
    '../_base_/schedules/toy_iters_600.py',
    '../_base_/mmattn_imports.py',
]
