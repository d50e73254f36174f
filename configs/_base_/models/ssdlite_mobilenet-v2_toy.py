# SSDLite with MobileNetV2 sized for the toy COCO set on a CPU: mmdet's
# SSDLite320 components (SSDNeck and SSDHead with depthwise convs, ReLU6, its
# assigner and hard negative mining; mmdet ships it as one whole config, so
# there is no model base to inherit) on 128x128 images, trained from
# scratch. Toy objects are 18-41 px: four levels (strides 16, 32, 64, 128;
# COCO's six reach 320) with anchors of 16-128 px, 128/64-channel extra
# levels (COCO's: 512, 256, 256, 128). Leaves set the backbone's attention.
data_preprocessor = dict(
    type='DetDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_size_divisor=1)
norm_cfg = dict(type='BN', eps=0.001, momentum=0.03)
channels = (32, 96, 1280, 128)
model = dict(
    type='SingleStageDetector',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='mmattn.MobileNetV2',
        out_indices=(2, 4, 7),
        norm_cfg=norm_cfg,
        init_cfg=dict(type='TruncNormal', layer='Conv2d', std=0.03)),
    neck=dict(
        type='SSDNeck',
        in_channels=channels[:3],
        out_channels=channels,
        level_strides=(2, ),
        level_paddings=(1, ),
        l2_norm_scale=None,
        use_depthwise=True,
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU6'),
        init_cfg=dict(type='TruncNormal', layer='Conv2d', std=0.03)),
    bbox_head=dict(
        type='mmattn.SSDHead',  # mmdet 3.3.0's cannot predict (mmdet#11305)
        in_channels=channels,
        num_classes=3,
        use_depthwise=True,
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU6'),
        init_cfg=dict(type='Normal', layer='Conv2d', std=0.001),
        anchor_generator=dict(
            type='SSDAnchorGenerator',
            scale_major=False,
            strides=[8, 16, 32, 64],
            ratios=[[2, 3], [2, 3], [2, 3], [2, 3]],
            min_sizes=[12, 24, 48, 80],
            max_sizes=[24, 48, 80, 128]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[0.1, 0.1, 0.2, 0.2])),
    train_cfg=dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.5,
            min_pos_iou=0.,
            ignore_iof_thr=-1,
            gt_max_assign_all=False),
        sampler=dict(type='PseudoSampler'),
        smoothl1_beta=1.,
        allowed_border=-1,
        pos_weight=-1,
        neg_pos_ratio=3,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        nms=dict(type='nms', iou_threshold=0.45),
        min_bbox_size=0,
        score_thr=0.02,
        max_per_img=100))
