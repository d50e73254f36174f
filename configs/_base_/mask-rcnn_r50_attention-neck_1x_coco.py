# Mask R-CNN R50 1x COCO with mmdet's FPN inside mmattn.AttentionNeck, which
# puts attention blocks on chosen pyramid levels, on the backbone's outputs
# (position='before') or the FPN's ('after'). A leaf sets model.neck.block
# and levels.
_base_ = './mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    neck=dict(
        _delete_=True,
        type='mmattn.AttentionNeck',
        neck=dict(
            type='FPN',
            in_channels=[256, 512, 1024, 2048],
            out_channels=256,
            num_outs=5),
        position='before'))
