"""What the config tests share: the configs of a folder, and one test-mode
forward of a config's model through its host's data preprocessor (mmdet or
mmseg, told apart by the config's ``default_scope``).

Models are built without ``init_weights`` (no checkpoint is read); SyncBN is
reverted to BN so that they run in one process.
"""
import glob
import os.path as osp

import torch
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import MODELS, init_default_scope
from mmengine.structures import BaseDataElement

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def config_folder(name):
    """``configs/<name>`` and the sorted file names of its configs."""
    folder = osp.join(REPO, 'configs', name)
    return folder, sorted(
        osp.basename(path) for path in glob.glob(osp.join(folder, '*.py')))


def data_sample(scope, shape):
    """An empty data sample of the host's type with the image metainfo its
    ``predict`` reads."""
    if scope == 'mmdet':
        from mmdet.structures import DetDataSample as Sample
    else:
        from mmseg.structures import SegDataSample as Sample
    return Sample(metainfo=dict(img_shape=shape, ori_shape=shape,
                                pad_shape=shape, scale_factor=(1.0, 1.0)))


def forward_once(cfg, shape=(64, 96)):
    """Build ``cfg.model`` under its host's scope, run ``test_step`` on one
    random ``shape`` image, check the prediction's kind and size; return
    the model."""
    scope = cfg.get('default_scope')
    assert scope in ('mmdet', 'mmseg'), f'default_scope {scope!r}'
    init_default_scope(scope)
    torch.manual_seed(0)
    model = revert_sync_batchnorm(MODELS.build(cfg.model)).eval()
    image = torch.randint(0, 256, (3, *shape), dtype=torch.uint8)
    data = dict(inputs=[image], data_samples=[data_sample(scope, shape)])
    with torch.no_grad():
        (result, ) = model.test_step(data)
    assert isinstance(result, BaseDataElement)
    if scope == 'mmdet':
        assert 'pred_instances' in result
    else:
        assert result.pred_sem_seg.data.shape[-2:] == shape
    return model
