# OCR after the head's one conv (num_convs=1, no concat): mmseg's OCRHead
# (3x3 bottleneck 2048->512, object context block with 256 key channels,
# classifier). The 150 soft object regions come from the block's own 1x1
# classifier instead of OCRNet's first FCN head (supervised there); the FCN
# auxiliary head on res4 stays.
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        num_convs=1,
        concat_input=False,
        block=dict(type='mmattn.OCR', num_classes=150, reduction=2)))
