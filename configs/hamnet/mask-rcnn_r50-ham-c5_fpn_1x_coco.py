# Hamburger (NMF, rank 64) on res5's output, where HamNet's head sits in
# segmentation; the FPN's top-down path spreads its context to every level.
# The paper reports no COCO result.
_base_ = '../_base_/mask-rcnn_r50_attention-neck_1x_coco.py'
model = dict(
    neck=dict(
        block=dict(type='mmattn.Hamburger', num_bases=64),
        levels=(3, )))
