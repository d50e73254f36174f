# BAM (Park et al. 2018): the paper places one BAM at the end of stages 1-3;
# plug-ins go in every block, so here after the last BN of each residual branch
# of c3-c4 (c2 is left out, see README.md).
_base_ = '../_base_/upernet_r50_4xb4-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='mmattn.BAM', ratio=1 / 16),
             stages=(False, True, True, False),
             position='after_conv3'),
    ]))
