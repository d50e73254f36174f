# Dilated ResNet-50 (output stride 8) with mmattn.AttentionHead: mmseg's
# FCN-D8 model where the head's two 3x3 convs hold an attention block between
# them, the way mmseg builds NLHead, GCHead and CCHead (channels=512,
# concat_input=True, an FCN auxiliary head on res4). A leaf sets
# model.decode_head.block (and num_classes).
_base_ = 'mmseg::_base_/models/fcn_r50-d8.py'
model = dict(decode_head=dict(type='mmattn.AttentionHead', recurrence=1))
