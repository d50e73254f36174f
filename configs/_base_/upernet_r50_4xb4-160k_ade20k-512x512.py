# mmseg's UperNet R50 160k ADE20K 512x512, with mmattn's modules registered
# and the backbone swapped for `mmattn.ResNetV1c`: mmseg 1.2.2's own ResNet
# feeds every plug-in at one position the same input, so of two stacked
# plug-ins only the last takes effect; mmattn's subclass chains them (same
# arguments, same weights). See docs/attention.md.
_base_ = [
    'mmseg::upernet/upernet_r50_4xb4-160k_ade20k-512x512.py',
    './mmattn_imports.py',
]
model = dict(backbone=dict(type='mmattn.ResNetV1c'))
