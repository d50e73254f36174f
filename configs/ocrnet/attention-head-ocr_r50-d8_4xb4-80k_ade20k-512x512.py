# OCR after the head's one conv (num_convs=1, no concat): mmseg's OCRHead
# (3x3 bottleneck 2048->512, object context block with 256 key channels,
# classifier). The 150 soft object regions come from the block's own 1x1
# classifier instead of OCRNet's first FCN head (supervised there); the FCN
# auxiliary head on res4 stays.
_base_ = [
    '../_base_/models/attention-head_r50-d8.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
    '../_base_/mmattn_imports.py',
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(
        num_classes=150,
        num_convs=1,
        concat_input=False,
        block=dict(type='mmattn.OCR', num_classes=150, reduction=2)),
    auxiliary_head=dict(num_classes=150))
