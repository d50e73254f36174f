# Hamburger (NMF, rank 64) on res5's output, where HamNet's head sits in
# segmentation; the FPN's top-down path spreads its context to every level.
# The paper reports no COCO result.
_base_ = '../attention/_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    neck=dict(
        _delete_=True,
        type='mmattn.AttentionNeck',
        neck=dict(
            type='FPN',
            in_channels=[256, 512, 1024, 2048],
            out_channels=256,
            num_outs=5),
        block=dict(type='mmattn.Hamburger', num_bases=64),
        levels=(3, ),
        position='before'))
