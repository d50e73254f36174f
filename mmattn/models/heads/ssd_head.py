"""mmdet's SSDHead, able to predict under mmdet 3.3.0.

mmdet 3.3.0's ``BaseDenseHead._predict_by_feat_single`` reads
``self.loss_cls`` (for V3Det's custom class channels), which ``SSDHead``
never sets: every SSD and SSDLite model fails to predict, so it cannot be
validated or tested (``AttributeError: 'SSDHead' object has no attribute
'loss_cls'``; open-mmlab/mmdetection#11305, #11780, unmerged fix #11524).
"""
from mmdet.models.dense_heads import SSDHead as MMDetSSDHead

from mmattn.registry import MODELS


@MODELS.register_module()
class SSDHead(MMDetSSDHead):
    """mmdet's ``SSDHead`` with ``loss_cls = None``, so that prediction
    takes its own softmax branch as before mmdet 3.3.0; arguments, weights
    and losses are mmdet's. A config switches with ``type='mmattn.SSDHead'``.

    Args:
        See mmdet's ``SSDHead``.
    """
    loss_cls = None
