"""tools/train.py and tools/test.py end to end on the toy sets: one mmdet
config (Mask R-CNN, COCO metric) and one mmseg config (Semantic FPN, mIoU),
a 2-process gloo run, exact resume, --auto-scale-lr, --tta, and bad input
stopped before anything is built."""
import glob
import os
import pickle
import re
import shutil
import os.path as osp
import socket
import stat
import subprocess

import pytest
import torch
from conftest import REPO, config_path, last_checkpoint, run_tool, short_run

from mmattn.checkpoint import load_local, load_state_dict_file
from mmattn.runner import ConfigError, enable_tta, prepare_cfg

MASK_RCNN = config_path('toy', 'mask-rcnn_r50_fpn_toy-coco.py')
FPN = config_path('toy', 'fpn_r50_toy-ade20k.py')
#: mmengine logs this when it builds a runner: not yet reached by an error
#: raised "before anything is built".
BUILT = 'System environment'


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
    different = [k for k in expected
                 if not torch.equal(expected[k], actual[k])]
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


def user_config(tmp_path, base, body, name='user_config.py'):
    path = tmp_path / name
    path.write_text(f"_base_ = '{base}'\n{body}\n")
    return path


@pytest.mark.parametrize('base, body, message', [
    (FPN, "model = dict(backbone=dict(init_cfg=dict(type='Pretrained', "
     "checkpoint='nowhere/r50.pth')))",
     "model.backbone.init_cfg.checkpoint = 'nowhere/r50.pth' does not "
     "exist"),
    # mmdet would train, then fail in CocoMetric.results2json.
    (MASK_RCNN, "metainfo = dict(classes=('rectangle', 'triangle', "
     "'ellipse', 'star'))\n"
     "train_dataloader = dict(dataset=dict(metainfo=metainfo))\n"
     "val_dataloader = dict(dataset=dict(metainfo=metainfo))\n"
     "test_dataloader = val_dataloader\n"
     "model = dict(roi_head=dict(bbox_head=dict(num_classes=4), "
     "mask_head=dict(num_classes=4)))",
     "train_dataloader.dataset: 1 of the config's 4 classes are not "
     "categories of data/toy_coco/annotations/instances_train2017.json "
     "('star')"),
    (FPN, "train_dataloader = dict(dataset=dict(metainfo=dict(classes=("
     "'box', 'tnet', 'ball'))))",
     "train_dataloader.dataset: ADE20KDataset maps a subset of its 150 "
     "classes through a label map, and 'tnet' (did you mean 'tent'"),
    (MASK_RCNN, 'model = dict(roi_head=dict(bbox_head=dict(num_classes=80)))',
     'model.roi_head.bbox_head.num_classes = 80, but the datasets have 3 '
     "classes ('rectangle', 'triangle', 'ellipse'): set "
     'model.roi_head.bbox_head.num_classes=3'),
], ids=['pretrained', 'coco-classes', 'seg-subset', 'num-classes'])
def test_bad_config_stops_before_anything_is_built(toy_root, tmp_path,
                                                   monkeypatch, base, body,
                                                   message):
    """In process: prepare_cfg, which train.py runs before building the
    runner, raises (train.py turns it into one line, as
    test_unknown_mmattn_type checks)."""
    monkeypatch.chdir(toy_root)
    config = user_config(tmp_path, base, body)
    with pytest.raises(ConfigError, match=re.escape(message)):
        prepare_cfg(str(config))


@pytest.mark.slow
def test_resume_from_scratch_truncated_and_intact(toy_root, tmp_path):
    """``--resume`` in an empty work dir says it starts from scratch; a
    truncated latest checkpoint is named with the newest intact one, from
    which ``--resume PATH`` goes on."""
    work_dir = tmp_path / 'work'
    options = short_run(2, 'default_hooks.checkpoint.interval=1',
                        'train_dataloader.batch_size=2')
    first = run_tool('train.py', FPN, '--work-dir', work_dir, '--resume',
                     *options, cwd=toy_root)
    assert (f'--resume: no checkpoint in {work_dir}, nothing to resume: '
            'training starts from scratch') in first.output
    latest = work_dir / 'iter_2.pth'
    with open(latest, 'r+b') as f:  # as a full disk leaves it
        f.truncate(os.path.getsize(latest) // 2)
    broken = run_tool('train.py', FPN, '--work-dir', work_dir, '--resume',
                      *options, cwd=toy_root, check=False)
    intact = work_dir / 'iter_1.pth'
    assert broken.returncode != 0
    assert (f'--resume: checkpoint {latest} is truncated or corrupt; the '
            f'newest intact one is {intact}: resume from it with --resume '
            f'{intact}') in broken.output
    assert BUILT not in broken.output
    resumed = run_tool('train.py', FPN, '--work-dir', work_dir, '--resume',
                       intact, *options, cwd=toy_root)
    assert 'resumed epoch: 0, iter: 1' in resumed.output
    assert load_local(latest)['meta']['iter'] == 2  # written anew


@pytest.fixture(scope='module')
def scaled_runs(toy_root, tmp_path_factory):
    """One 2-iteration run per host with ``--auto-scale-lr`` at batch 2
    (the toy schedule's lr 1e-3 is set for batch 4). mmdet's is a box-only
    Mask R-CNN (mmdet's TTA merges boxes, not masks)."""
    root = tmp_path_factory.mktemp('scaled')
    boxes = user_config(
        root, MASK_RCNN, "model = dict(roi_head=dict(mask_roi_extractor="
        "None, mask_head=None))\nval_evaluator = dict(metric='bbox')\n"
        'test_evaluator = val_evaluator', name='boxes.py')
    runs = {}
    for host, config in (('mmseg', FPN), ('mmdet', boxes)):
        work_dir = root / host
        result = run_tool('train.py', config, '--work-dir', work_dir,
                          '--auto-scale-lr',
                          *short_run(2, 'train_dataloader.batch_size=2'),
                          cwd=toy_root)
        runs[host] = config, work_dir, result.output
    return runs


@pytest.mark.slow
@pytest.mark.parametrize('host', ['mmseg', 'mmdet'])
def test_auto_scale_lr_reaches_the_optimizer(scaled_runs, host):
    _, work_dir, output = scaled_runs[host]
    assert '--auto-scale-lr: base batch 4 (from auto_scale_lr)' in output
    assert 'Scaling the original LR by 0.5' in output
    optimizer = load_local(last_checkpoint(work_dir))['optimizer']
    assert [group['initial_lr'] for group in optimizer['param_groups']] == \
        pytest.approx([5e-4] * len(optimizer['param_groups']))


@pytest.mark.slow
@pytest.mark.parametrize('host, model, metric', [
    ('mmseg', "type='SegTTAModel'", r'mIoU: [0-9.]+'),
    ('mmdet', "type='DetTTAModel'", r'coco/bbox_mAP: -?[0-9.]+'),
])
def test_tta(scaled_runs, toy_root, tmp_path, host, model, metric):
    config, work_dir, _ = scaled_runs[host]
    result = run_tool('test.py', config, last_checkpoint(work_dir), '--tta',
                      '--work-dir', tmp_path, cwd=toy_root)
    assert '--tta: ' in result.output
    assert model in result.output and "type='TestTimeAug'" in result.output
    assert re.search(metric, result.output)


def test_tta_refuses_instance_masks(toy_root, monkeypatch):
    monkeypatch.chdir(toy_root)
    cfg, scope = prepare_cfg(MASK_RCNN, mode='test')
    with pytest.raises(ConfigError,
                       match='DetTTAModel does not support instance masks'):
        enable_tta(cfg, scope)


@pytest.mark.parametrize('script, args, tail', [
    ('dist_train.sh', ['CONFIG', '2', '--amp'],
     'train.py CONFIG --launcher pytorch --amp'),
    ('dist_test.sh', ['CONFIG', 'CKPT', '2'],
     'test.py CONFIG CKPT --launcher pytorch'),
])
def test_dist_scripts_find_the_virtual_environment(tmp_path, script, args,
                                                   tail):
    """Like the other scripts: the active environment's python, else
    ./.venv's; never a bare ``python`` from PATH."""
    tools = tmp_path / 'repo' / 'tools'
    tools.mkdir(parents=True)
    for name in ('_python.sh', script):
        shutil.copy(osp.join(REPO, 'tools', name), tools)
    python = tmp_path / 'repo' / '.venv' / 'bin' / 'python'
    python.parent.mkdir(parents=True)
    python.write_text('#!/usr/bin/env bash\necho "venv python $*"\n')
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    env = {key: value for key, value in os.environ.items()
           if key not in ('VIRTUAL_ENV', 'CONDA_PREFIX', 'PYTHON')}
    result = subprocess.run(['bash', str(tools / script), *args], env=env,
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith('venv python -m torch.distributed.run ')
    assert '--nproc_per_node=2 ' in result.stdout
    assert result.stdout.rstrip().endswith(f'{tools}/{tail}')
