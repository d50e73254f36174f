# External attention (two 64-slot memories, double normalisation): EANet's
# head is conv 2048->512, EA, conv, as here. The paper reports 45.33 mIoU on
# ADE20K with dilated ResNet-101.
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(type='mmattn.ExternalAttention', memory_size=64)))
