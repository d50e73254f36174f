# BoTNet (BoT50): global MHSA (4 heads, 2D relative positions) in place of the
# 3x3 convs of the three res5 blocks, 2x2 average pool after the strided one.
# The tables cover 84x84 maps (res5's first block on a padded 1344-pixel side).
_base_ = '../_base_/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(
        dcn=dict(type='mmattn.MHSA', heads=4, rel_pos_size=84),
        stage_with_dcn=(False, False, False, True)))
