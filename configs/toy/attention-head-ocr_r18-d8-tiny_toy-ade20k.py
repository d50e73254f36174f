# OCR AttentionHead (one conv, no concat: mmseg's OCRHead) on a tiny dilated
# ResNet-18, trained on toy ADE20K; 3 soft object regions, the toy classes.
_base_ = [
    '../_base_/models/attention-head_r18-d8-tiny.py',
    '../_base_/datasets/toy_ade20k.py',
    '../_base_/schedules/toy_iters.py',
    '../_base_/mmattn_imports.py',
]
model = dict(
    decode_head=dict(
        num_convs=1,
        concat_input=False,
        block=dict(type='mmattn.OCR', num_classes=3)))
