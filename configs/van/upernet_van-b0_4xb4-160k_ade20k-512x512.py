# UperNet with VAN-B0 on ADE20K, as in VAN-Segmentation: 160k iterations of
# 4x4 images (512x512 crops); AdamW lr 6e-5, weight decay 0.01 (none on
# norms), 1500 iterations of linear warm-up then poly decay (power 1.0);
# UPerHead with 512 channels, auxiliary FCN head on stage 2; drop path 0.1.
_base_ = [
    'mmseg::upernet/upernet_r50_4xb4-160k_ade20k-512x512.py',
    '../_base_/mmattn_imports.py',
]
model = dict(
    pretrained=None,  # the backbone's init_cfg loads the weights
    backbone=dict(
        _delete_=True,
        type='mmattn.VAN',
        arch='b0',
        drop_path_rate=0.1,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/van_b0.pth')),
    decode_head=dict(in_channels=[32, 64, 160, 256], channels=512),
    auxiliary_head=dict(in_channels=160, in_index=2))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys=dict(norm=dict(decay_mult=0.0))))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
         end=1500),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=1500,
         end=160000),
]
# --tta: VAN-Segmentation's multi-scale test (the reference mIoUs are
# multi-scale): the 2048x512 test scale times 0.5-1.75, each resized to a
# multiple of 32 and also flipped. mmseg's ADE20K tta_pipeline, replaced
# here, scales the original image size instead.
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='Resize', scale=(int(2048 * r), int(512 * r)),
                     keep_ratio=True)
                for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)
            ],
            [dict(type='ResizeToMultiple', size_divisor=32)],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ],
            [dict(type='LoadAnnotations')],
            [dict(type='PackSegInputs')],
        ])
]
