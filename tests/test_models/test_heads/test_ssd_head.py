"""mmattn.SSDHead: mmdet 3.3.0's SSDHead cannot predict (it reads a
``loss_cls`` it never sets); mmattn's does, with mmdet's weights and loss."""
import pytest
import torch
from mmdet.models.dense_heads import SSDHead as MMDetSSDHead
from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope

from mmattn.models.heads import SSDHead

HEAD = dict(
    in_channels=(8, 16), num_classes=3, use_depthwise=True,
    norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU6'),
    anchor_generator=dict(
        type='SSDAnchorGenerator', scale_major=False, strides=[16, 32],
        ratios=[[2, 3], [2, 3]], min_sizes=[16, 32], max_sizes=[32, 64]),
    bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0] * 4,
                    target_stds=[0.1, 0.1, 0.2, 0.2]),
    test_cfg=ConfigDict(
        nms_pre=100, nms=dict(type='nms', iou_threshold=0.45),
        min_bbox_size=0, score_thr=0.02, max_per_img=10))


def predict(head):
    feats = (torch.randn(1, 8, 4, 4), torch.randn(1, 16, 2, 2))
    sample = DetDataSample(metainfo=dict(img_shape=(64, 64),
                                         ori_shape=(64, 64),
                                         scale_factor=(1., 1.)))
    with torch.no_grad():
        return head.eval().predict(feats, [sample])


def test_predicts_where_mmdets_fails():
    init_default_scope('mmdet')
    torch.manual_seed(0)
    theirs, ours = MMDetSSDHead(**HEAD), SSDHead(**HEAD)
    with pytest.raises(AttributeError, match='loss_cls'):
        predict(theirs)
    ours.load_state_dict(theirs.state_dict())  # the same weights
    (result, ) = predict(ours)
    assert result.bboxes.shape[1] == 4
    assert result.scores.numel() == result.labels.numel() <= 10
    assert set(result.labels.tolist()) <= {0, 1, 2}
