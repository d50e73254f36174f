# toy_iters.py stretched to 600 iterations, for the toy MobileNetV2 models:
# from scratch, SSDLite's dense head and DeepLabV3 on MobileNetV2 learn
# slower than the 200-iteration toys (measured on the default toy sets:
# SSDLite 2.5 bbox mAP after 200 iterations, 18.4 after 400; DeepLabV3 45.6
# mIoU after 200, 63.7 after 400).
_base_ = './toy_iters.py'
max_iters = 600
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=20),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=20,
         end=max_iters)
]
