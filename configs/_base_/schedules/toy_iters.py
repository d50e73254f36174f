# A short iteration-based schedule for the toy data sets on CPU: AdamW, a
# linear warm-up, then linear (poly, power 1) decay to zero; one validation
# at the end. Host-neutral: hooks live in the toy data set bases.
max_iters = 200
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999),
                   weight_decay=0.05),
    clip_grad=dict(max_norm=10, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=20),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=20,
         end=max_iters)
]
randomness = dict(seed=0)
# The lr above is set for one process with the toy sets' 4 images per batch;
# --auto-scale-lr scales it for another total batch.
auto_scale_lr = dict(enable=False, base_batch_size=4)
