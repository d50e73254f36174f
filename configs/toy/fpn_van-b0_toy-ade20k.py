# Semantic FPN with VAN-B0, trained from scratch on toy ADE20K (CPU).
_base_ = [
    '../_base_/models/fpn_r50_toy.py',
    '../_base_/datasets/toy_ade20k.py',
    '../_base_/schedules/toy_iters.py',
    '../_base_/mmattn_imports.py',
]
model = dict(
    backbone=dict(_delete_=True, type='mmattn.VAN', arch='b0'),
    neck=dict(in_channels=[32, 64, 160, 256]))
