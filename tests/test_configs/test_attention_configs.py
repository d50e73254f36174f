"""Every config in configs/attention builds its model and runs one test-mode
forward on a small image, through its host's data preprocessor (mmdet or
mmseg, told apart by the config's ``default_scope``); and every part-1 block
has its Mask R-CNN and UperNet config.

Any new file in configs/attention is picked up. Models are built without
``init_weights`` (no checkpoint is fetched); SyncBN is reverted to BN so that
mmseg configs run in one process.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import MODELS, init_default_scope
from mmengine.structures import BaseDataElement

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FOLDER = osp.join(REPO, 'configs', 'attention')
CONFIGS = sorted(
    osp.basename(path) for path in glob.glob(osp.join(FOLDER, '*.py')))

# The blocks of the attention-library issue, part 1: each needs a Mask R-CNN
# R50-FPN 1x COCO config and an UperNet R50 160k ADE20K config.
PART1 = ('SE', 'ECA', 'GCT', 'SRM', 'FcaNet', 'GSoP', 'EncodingContext',
         'BilinearAttention', 'GE', 'StripPooling', 'AttentionGate', 'STN',
         'CBAM', 'BAM', 'scSE', 'CoordAttention', 'TripletAttention',
         'ResidualAttention', 'SCConv', 'SK', 'CondConv')


def data_sample(scope, shape):
    """An empty data sample of the host's type with the image metainfo its
    ``predict`` reads."""
    if scope == 'mmdet':
        from mmdet.structures import DetDataSample as Sample
    else:
        from mmseg.structures import SegDataSample as Sample
    return Sample(metainfo=dict(img_shape=shape, ori_shape=shape,
                                pad_shape=shape, scale_factor=(1.0, 1.0)))


def test_configs_are_found():
    assert len(CONFIGS) >= 2 * len(PART1)


@pytest.mark.parametrize('block', PART1)
def test_every_part1_block_has_its_host_configs(block):
    for prefix in ('mask-rcnn_r50-', 'upernet_r50-'):
        texts = [open(osp.join(FOLDER, name)).read() for name in CONFIGS
                 if name.startswith(prefix) and 'toy' not in name]
        assert any(f"type='mmattn.{block}'" in text for text in texts), \
            f'no {prefix}* config uses mmattn.{block}'


@pytest.mark.slow
@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_and_runs_a_forward(name):
    cfg = Config.fromfile(osp.join(FOLDER, name))
    scope = cfg.get('default_scope')
    assert scope in ('mmdet', 'mmseg'), f'{name}: default_scope {scope!r}'
    init_default_scope(scope)
    torch.manual_seed(0)
    model = revert_sync_batchnorm(MODELS.build(cfg.model)).eval()
    # c5 is 3×4: mmcv's deformable conv refuses maps smaller than its kernel
    shape = (96, 128)
    image = torch.randint(0, 256, (3, *shape), dtype=torch.uint8)
    data = dict(inputs=[image], data_samples=[data_sample(scope, shape)])
    with torch.no_grad():
        (result, ) = model.test_step(data)
    assert isinstance(result, BaseDataElement)
    if scope == 'mmdet':
        assert 'pred_instances' in result
    else:
        assert result.pred_sem_seg.data.shape[-2:] == shape
