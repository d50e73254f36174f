"""tools/make_toy_data.py: deterministic toy COCO / ADE20K that the real mmdet
and mmseg datasets, pipelines and metrics read as they read the real sets."""
import hashlib
import importlib.util
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from pycocotools.coco import COCO

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NUM_TRAIN, NUM_VAL, SIZE = 6, 4, 128


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        'make_toy_data', osp.join(REPO, 'tools', 'make_toy_data.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp('toy')
    coco_root, ade_root = tool.make_toy_data(str(out), NUM_TRAIN, NUM_VAL)
    return coco_root, ade_root


def _hashes(root):
    digests = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                digests[osp.relpath(path, root)] = hashlib.sha256(
                    f.read()).hexdigest()
    return digests


def _config(name, root):
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'datasets', name))
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.data_root = root
    cfg.val_evaluator.ann_file = osp.join(
        root, 'annotations/instances_val2017.json')
    return cfg


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, data):
    again = tool.make_toy_data(str(tmp_path / 'a'), NUM_TRAIN, NUM_VAL)
    other = tool.make_toy_data(str(tmp_path / 'b'), NUM_TRAIN, NUM_VAL,
                               seed=1)
    for root, same, different in zip(data, again, other):
        expected = _hashes(root)
        assert len(expected) > NUM_TRAIN + NUM_VAL
        assert _hashes(same) == expected
        changed = _hashes(different)
        assert changed.keys() == expected.keys()
        assert sum(changed[k] != expected[k] for k in expected) >= (
            NUM_TRAIN + NUM_VAL)


def test_refuses_foreign_directory_and_force_deletes_nothing(tmp_path):
    mine = tmp_path / 'toy_ade20k' / 'notes.txt'
    mine.parent.mkdir()
    mine.write_text('user data')
    with pytest.raises(FileExistsError, match='toy_ade20k'):
        tool.make_toy_data(str(tmp_path), 2, 1)
    assert not (tmp_path / 'toy_coco').exists()  # checked before writing
    tool.make_toy_data(str(tmp_path), 2, 1, force=True)
    assert mine.read_text() == 'user data'


def test_rewriting_a_toy_set_removes_its_stale_files(tmp_path):
    tool.make_toy_data(str(tmp_path), 3, 2)
    tool.make_toy_data(str(tmp_path), 2, 1)
    train = tmp_path / 'toy_ade20k' / 'images' / 'training'
    assert sorted(os.listdir(train)) == [
        'ADE_train_00000001.jpg', 'ADE_train_00000002.jpg'
    ]
    assert len(os.listdir(tmp_path / 'toy_coco' / 'val2017')) == 1


def test_polygons_rasterise_to_the_drawn_shapes(data):
    coco = COCO(osp.join(data[0], 'annotations/instances_train2017.json'))
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == list(
        tool.SHAPES)
    counts = np.zeros(len(tool.SHAPES), int)
    for i in range(NUM_TRAIN):
        _, instances = tool.make_scene(np.random.default_rng([0, 0, i]),
                                       SIZE)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=i + 1))
        assert len(anns) == len(instances) >= 2
        for ann, inst in zip(anns, instances):
            assert ann['category_id'] == inst['label'] + 1
            assert ann['iscrowd'] == 0
            mask = coco.annToMask(ann).astype(bool)
            drawn = inst['mask']
            iou = (mask & drawn).sum() / (mask | drawn).sum()
            assert iou > 0.95
            assert ann['area'] == pytest.approx(drawn.sum(), rel=0.05)
            ys, xs = np.nonzero(drawn)
            x, y, w, h = ann['bbox']
            np.testing.assert_allclose(
                [x, y, x + w, y + h],
                [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], atol=0.5)
            counts[inst['label']] += 1
    assert counts.min() >= 1  # every class occurs


def test_ade20k_maps_hold_the_index_of_each_name(data):
    from mmseg.datasets import ADE20KDataset
    classes = ADE20KDataset.METAINFO['classes']
    assert [classes[i] for i in tool.ADE20K_INDEX] == list(tool.ADE20K_NAMES)
    import cv2
    for i in range(NUM_VAL):
        _, instances = tool.make_scene(np.random.default_rng([0, 1, i]),
                                       SIZE)
        label = cv2.imread(
            osp.join(data[1], f'annotations/validation/ADE_val_{i + 1:08d}'
                     '.png'), cv2.IMREAD_UNCHANGED)
        expected = np.zeros((SIZE, SIZE), np.uint8)
        for inst in instances:
            expected[inst['mask']] = tool.ADE20K_INDEX[inst['label']] + 1
        np.testing.assert_array_equal(label, expected)


def test_mmseg_ade20k_dataset_keeps_the_three_classes(data):
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    cfg = _config('toy_ade20k.py', data[1])
    # Whole images, not the train pipeline's random crops: every sample is
    # then checked as written, whatever random state earlier tests left.
    train = DATASETS.build(
        dict(cfg.train_dataloader.dataset, pipeline=cfg.test_pipeline))
    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert (len(train), len(val)) == (NUM_TRAIN, NUM_VAL)
    assert train.metainfo['classes'] == tool.ADE20K_NAMES
    assert {k: v for k, v in train.label_map.items() if v != 255} == {
        index: k for k, index in enumerate(tool.ADE20K_INDEX)}
    seen = set()
    for dataset in (train, val):
        for sample in dataset:
            seg = sample['data_samples'].gt_sem_seg.data
            values = set(seg.unique().tolist())
            assert values <= {0, 1, 2, 255}
            assert values - {255}, 'an all-ignore label map'
            seen |= values
            assert sample['inputs'].shape == (3, SIZE, SIZE)
    assert seen == {0, 1, 2, 255}


def test_mmdet_coco_dataset_loads_boxes_and_masks(data):
    from mmdet.registry import DATASETS
    init_default_scope('mmdet')
    cfg = _config('toy_coco.py', data[0])
    train = DATASETS.build(cfg.train_dataloader.dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert (len(train), len(val)) == (NUM_TRAIN, NUM_VAL)
    assert train.metainfo['classes'] == tool.SHAPES
    for sample in train:
        gt = sample['data_samples'].gt_instances
        assert len(gt) >= 2
        assert set(gt.labels.tolist()) <= {0, 1, 2}
        assert gt.masks.masks.shape[1:] == (SIZE, SIZE)
        boxes = gt.bboxes.tensor
        assert (boxes[:, 2:] > boxes[:, :2]).all()


def _seg_score(data, predict):
    from mmseg.evaluation import IoUMetric
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    val = DATASETS.build(_config('toy_ade20k.py', data[1]).val_dataloader
                         .dataset)
    metric = IoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = val.metainfo
    torch.manual_seed(0)
    for sample in val:
        gt = sample['data_samples'].gt_sem_seg.data
        metric.process({}, [dict(pred_sem_seg=dict(data=predict(gt)),
                                 gt_sem_seg=dict(data=gt))])
    return metric.evaluate(len(val))['mIoU']


def test_chance_scores_low_and_truth_scores_full_miou(data):
    # 'other' is ignored, as in ADE20K, so chance is about 1/5, not 0.
    assert _seg_score(data, lambda gt: torch.zeros_like(gt)) < 20
    assert _seg_score(data, lambda gt: torch.randint_like(gt, 3)) < 30
    assert _seg_score(data, lambda gt: gt) == 100


def _det_scores(data, predict):
    from mmdet.evaluation import CocoMetric
    from mmdet.registry import DATASETS
    init_default_scope('mmdet')
    cfg = _config('toy_coco.py', data[0])
    val = DATASETS.build(cfg.val_dataloader.dataset)
    metric = CocoMetric(ann_file=cfg.val_evaluator.ann_file,
                        metric=['bbox', 'segm'])
    metric.dataset_meta = val.metainfo
    torch.manual_seed(0)
    for sample in val:
        gt = sample['data_samples'].gt_instances
        pred = predict(gt)
        metric.process({}, [dict(img_id=sample['data_samples'].img_id,
                                 ori_shape=(SIZE, SIZE), pred_instances=pred)])
    scores = metric.evaluate(len(val))
    return scores['coco/bbox_mAP'], scores['coco/segm_mAP']


def test_chance_scores_zero_and_truth_scores_full_map(data):

    def random(gt):
        n = 20
        xy = torch.rand(n, 2) * SIZE * 0.8
        wh = torch.rand(n, 2) * SIZE * 0.4 + 4
        boxes = torch.cat([xy, (xy + wh).clamp(max=SIZE)], 1)
        masks = torch.zeros(n, SIZE, SIZE, dtype=torch.bool)
        for k, (x0, y0, x1, y1) in enumerate(boxes.int().tolist()):
            masks[k, y0:y1, x0:x1] = True
        return dict(bboxes=boxes, scores=torch.rand(n),
                    labels=torch.randint(3, (n, )), masks=masks)

    def truth(gt):
        return dict(bboxes=gt.bboxes.tensor, scores=torch.ones(len(gt)),
                    labels=gt.labels,
                    masks=torch.from_numpy(gt.masks.masks).bool())

    assert max(_det_scores(data, random)) < 0.05
    bbox, segm = _det_scores(data, truth)
    assert bbox == pytest.approx(1.0, abs=0.01)
    assert segm > 0.95
