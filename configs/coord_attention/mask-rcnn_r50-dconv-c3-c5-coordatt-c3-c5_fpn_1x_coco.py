# DCN and a plug-in together: mmdet's deformable conv2 in c3-c5 (dcn=,
# stage_with_dcn=) and CoordAttention right after it (after_conv2 sees the
# deformable conv's output).
_base_ = [
    'mmdet::dcn/mask-rcnn_r50-dconv-c3-c5_fpn_1x_coco.py',
    '../_base_/mmattn_imports.py',
]
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.CoordAttention', ratio=1 / 32),
             stages=(False, True, True, True),
             position='after_conv2'),
    ]))
