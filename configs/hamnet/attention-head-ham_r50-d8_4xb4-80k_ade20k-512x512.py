# Hamburger (NMF, rank 64, 6 training / 7 eval updates, one-step gradient)
# between the head's convs, on the head's 512 channels as HamNet's head.
_base_ = '../_base_/attention-head_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        block=dict(
            type='mmattn.Hamburger', num_bases=64, train_steps=6,
            eval_steps=7)))
