# Semantic FPN with VAN-B0 on ADE20K, as in VAN-Segmentation: 40k iterations
# of 4x8 images (512x512 crops), AdamW lr 2e-4, weight decay 1e-4, poly decay
# (power 0.9), drop path 0.2.
_base_ = [
    'mmseg::sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py',  # schedule replaced
    '../_base_/mmattn_imports.py',
]
max_iters = 40000
model = dict(
    pretrained=None,  # the backbone's init_cfg loads the weights
    backbone=dict(
        _delete_=True,
        type='mmattn.VAN',
        arch='b0',
        drop_path_rate=0.2,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/van_b0.pth')),
    neck=dict(in_channels=[32, 64, 160, 256]))
train_dataloader = dict(batch_size=8)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
