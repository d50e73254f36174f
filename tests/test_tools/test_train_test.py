"""tools/train.py and tools/test.py end to end on the toy sets: one mmdet
config (Mask R-CNN, COCO metric) and one mmseg config (Semantic FPN, mIoU),
a 2-process gloo run, exact resume, and bad input."""
import glob
import pickle
import re
import socket

import pytest
import torch
from conftest import config_path, last_checkpoint, run_tool, short_run

from mmattn.checkpoint import load_local, load_state_dict_file

MASK_RCNN = config_path('toy', 'mask-rcnn_r50_fpn_toy-coco.py')
FPN = config_path('toy', 'fpn_r50_toy-ade20k.py')


@pytest.mark.slow
def test_mmdet_mask_rcnn_train_and_test(toy_root, tmp_path):
    work_dir = tmp_path / 'det'
    train = run_tool('train.py', MASK_RCNN, '--work-dir', work_dir,
                     *short_run(2, 'train_dataloader.batch_size=2'),
                     cwd=toy_root)
    assert 'coco/bbox_mAP' in train.output  # validation ran at the end
    out = tmp_path / 'results.pkl'
    test = run_tool('test.py', MASK_RCNN, last_checkpoint(work_dir),
                    '--work-dir', tmp_path / 'det_test', '--out', out,
                    '--show-dir', 'painted', cwd=toy_root)
    for metric in ('coco/bbox_mAP', 'coco/segm_mAP'):
        assert re.search(metric + r': -?[0-9.]+', test.output), metric
    with open(out, 'rb') as f:
        results = pickle.load(f)
    num_val = len(glob.glob(str(toy_root / 'data/toy_coco/val2017/*.jpg')))
    assert len(results) == num_val
    assert {'bboxes', 'labels', 'masks'} <= set(results[0]['pred_instances'])
    painted = glob.glob(str(tmp_path / 'det_test' / '*' / 'painted' / '*'))
    assert len(painted) == num_val


@pytest.mark.slow
def test_mmseg_semantic_fpn_train_and_test(toy_root, tmp_path):
    work_dir = tmp_path / 'seg'
    train = run_tool('train.py', FPN, '--work-dir', work_dir, *short_run(2),
                     cwd=toy_root)
    assert 'mIoU' in train.output
    out = tmp_path / 'pred'
    test = run_tool('test.py', FPN, last_checkpoint(work_dir), '--work-dir',
                    tmp_path / 'seg_test', '--out', out, cwd=toy_root)
    assert re.search(r'mIoU: [0-9.]+', test.output)
    num_val = len(glob.glob(
        str(toy_root / 'data/toy_ade20k/images/validation/*.jpg')))
    assert len(glob.glob(str(out / '*.png'))) == num_val


@pytest.mark.slow
def test_distributed_gloo_two_processes(toy_root, tmp_path, monkeypatch):
    # A port nothing else holds, rather than torchrun's usual 29500.
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        monkeypatch.setenv('PORT', str(probe.getsockname()[1]))
    work_dir = tmp_path / 'ddp'
    result = run_tool('dist_train.sh', FPN, 2, '--work-dir', work_dir,
                      *short_run(2, 'train_dataloader.batch_size=2'),
                      cwd=toy_root)
    assert "backend 'nccl' -> gloo" in result.output
    assert 'SyncBN -> BN' in result.output
    assert re.search(r'world_size: 2|GPU number: 2', result.output)
    checkpoint = load_local(last_checkpoint(work_dir))
    assert len(checkpoint['meta']['rng_states']) == 2  # one per rank


@pytest.mark.slow
def test_resume_reproduces_uninterrupted_run(toy_root, tmp_path):
    """Train 4 iterations; separately, resume from iteration 2 and finish:
    the final weights are identical (augmentation and dropout included)."""
    options = short_run(4, 'train_dataloader.batch_size=2',
                    'randomness.deterministic=True',
                    'default_hooks.checkpoint.interval=2')
    full, resumed = tmp_path / 'full', tmp_path / 'resumed'
    run_tool('train.py', FPN, '--work-dir', full, *options, cwd=toy_root)
    result = run_tool('train.py', FPN, '--work-dir', resumed, '--resume',
                      full / 'iter_2.pth', *options, cwd=toy_root)
    assert 'resumed epoch: 0, iter: 2' in result.output
    assert len(load_local(full / 'iter_2.pth')['meta']['rng_states']) == 1
    expected = load_state_dict_file(full / 'iter_4.pth')
    actual = load_state_dict_file(resumed / 'iter_4.pth')
    assert expected.keys() == actual.keys()
    changed = load_state_dict_file(full / 'iter_2.pth')
    assert any(not torch.equal(changed[k], expected[k]) for k in expected)
    different = [k for k in expected if not torch.equal(expected[k], actual[k])]
    assert not different, different[:5]


def test_unknown_mmattn_type(toy_root, tmp_path):
    config = tmp_path / 'typo.py'
    config.write_text(f"_base_ = '{FPN}'\n"
                      "model = dict(backbone=dict(plugins=[dict(cfg=dict("
                      "type='mmattn.CoordAtention'), position='after_conv3',"
                      " stages=(False, False, False, True))]))\n")
    result = run_tool('train.py', config, cwd=toy_root, check=False)
    assert result.returncode != 0
    assert "unknown type 'mmattn.CoordAtention'" in result.output
    assert 'did you mean mmattn.CoordAttention' in result.output


def test_missing_data_root(tmp_path):
    result = run_tool('train.py', FPN, cwd=tmp_path, check=False)
    assert result.returncode != 0
    assert ("train_dataloader.dataset.data_root = 'data/toy_ade20k' does "
            "not exist: run `python tools/make_toy_data.py`") in result.output


def test_missing_checkpoint(toy_root):
    result = run_tool('test.py', FPN, 'nowhere.pth', cwd=toy_root,
                      check=False)
    assert result.returncode != 0
    assert "checkpoint not found: 'nowhere.pth'" in result.output


def test_mismatched_checkpoint(toy_root, tmp_path):
    path = tmp_path / 'other.pth'
    torch.save({'state_dict': {'backbone.foo.weight': torch.zeros(1)}}, path)
    result = run_tool('test.py', FPN, path, cwd=toy_root, check=False)
    assert result.returncode != 0
    assert 'unexpected key in source state_dict: backbone.foo.weight' in \
        result.output
    assert 'missing keys in source state_dict' in result.output


def test_wrong_launcher(toy_root):
    result = run_tool('train.py', FPN, '--launcher', 'torchrun',
                      cwd=toy_root, check=False)
    assert result.returncode == 2
    assert "argument --launcher: invalid choice: 'torchrun'" in result.output
