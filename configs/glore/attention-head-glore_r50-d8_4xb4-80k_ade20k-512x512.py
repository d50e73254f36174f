# One GloRe unit between the head's convs: the paper's segmentation model is
# an FCN with one GloRe unit in its head. normalize=True (projection / HW):
# the official code asks for it where the input size varies, as between
# 512x512 crops and whole-image inference.
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(type='mmattn.GloRe', reduction=4, normalize=True)))
