# Relation-aware global attention after each of the four stages, the paper's
# placement (person re-id; no COCO result), on the features the FPN receives.
# The relation convs are built for the stride-16/32 maps of an 800x1333 image;
# c2/c3 (and other image sizes) get the gates of the map resized to that size.
_base_ = '../_base_/mask-rcnn_r50_attention-neck_1x_coco.py'
model = dict(
    neck=dict(
        block=[
            dict(type='mmattn.RGA', spatial_size=(50, 84)),
            dict(type='mmattn.RGA', spatial_size=(50, 84)),
            dict(type='mmattn.RGA', spatial_size=(50, 84)),
            dict(type='mmattn.RGA', spatial_size=(25, 42)),
        ],
        levels=(0, 1, 2, 3)))
