# Relation-aware global attention (spatial + channel) built for the 64x64 head
# input of a 512x512 crop; other sizes (whole-image testing) get the gates of
# the map resized to 64x64 (size_mismatch='resize'). The paper (person re-id)
# reports no segmentation result.
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(
            type='mmattn.RGA', spatial_size=(64, 64), size_mismatch='resize')))
