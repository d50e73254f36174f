# MobileNeXt + coordinate attention after the first depthwise conv of each
# sandglass block (the CA paper's Fig. 3(b)). No ImageNet weights are
# published: pretrain the backbone and point init_cfg at them.
_base_ = './ssdlite_mobilenext_8xb24-600e_coco.py'
model = dict(
    backbone=dict(
        attention=dict(type='mmattn.CoordAttention'),
        init_cfg=dict(checkpoint='pretrain/mobilenext-ca_in1k.pth')))
