# StripPooling (Hou et al. 2020): SPNet applies it after conv2 of every block
# of the last stage (and of the last block of each other stage, which a plug-in
# cannot single out): after_conv2 in c5.
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.StripPooling'),
             stages=(False, False, False, True),
             position='after_conv2'),
    ]))
