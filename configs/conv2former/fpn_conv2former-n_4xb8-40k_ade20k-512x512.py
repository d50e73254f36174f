# Semantic FPN with Conv2Former-N on ADE20K, 40k iterations of 4x8 images
# (512x512 crops): the PVT / PoolFormer / VAN recipe (AdamW lr 2e-4, weight
# decay 1e-4, poly decay with power 0.9). The paper has no Semantic FPN
# results; this recipe is ours (README.md).
_base_ = [
    'mmseg::sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py',  # schedule replaced
    '../_base_/mmattn_imports.py',
]
max_iters = 40000
model = dict(
    pretrained=None,  # the backbone's init_cfg loads the weights
    backbone=dict(
        _delete_=True,
        type='mmattn.Conv2Former',
        arch='n',
        drop_path_rate=0.1,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained', checkpoint='pretrain/conv2former_n.pth.tar')),
    neck=dict(in_channels=[64, 128, 256, 512]))
train_dataloader = dict(batch_size=8)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
