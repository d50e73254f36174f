"""What ``tools/train.py`` and ``tools/test.py`` share: one entry point for
mmdet and mmseg configs, chosen by the config's ``default_scope``.

:func:`prepare_cfg` checks a config before anything is built (host scope,
``mmattn.*`` types, data roots, checkpoints, classes) and adapts it to the
machine (gloo and no SyncBN for distributed runs on CPU). The tools' other
options live here too: ``--auto-scale-lr``, ``--resume`` and ``--tta``.
"""
import difflib
import glob
import importlib
import json
import os.path as osp
import re
import zipfile

import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log

HOSTS = {'mmdet': 'mmdet', 'mmseg': 'mmseg'}


class ConfigError(ValueError):
    """A config that cannot run, with the reason and the culprit."""


def host_scope(cfg):
    """The host package of a config: its ``default_scope`` (mmdet, mmseg)."""
    scope = cfg.get('default_scope')
    if scope not in HOSTS:
        raise ConfigError(
            f'default_scope must be one of {sorted(HOSTS)}, got {scope!r}: '
            f'inherit an mmdet:: or mmseg:: base config or set default_scope')
    importlib.import_module(HOSTS[scope])
    return scope


def _walk(node, path=''):
    """Yield (path, dict) for every dict inside a config tree."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f'{path}.{key}' if path else str(key))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _walk(value, f'{path}[{i}]')


def check_mmattn_types(cfg):
    """Every ``type='mmattn.X'`` in the config names a registered class.

    Raises:
        ConfigError: naming the unknown type, where it is, and close matches.
    """
    from mmattn.registry import REGISTRIES
    known = set()
    for registry in REGISTRIES:
        registry.import_from_location()
        known.update(registry.module_dict)
    for path, node in _walk(cfg._cfg_dict.to_dict()):
        kind = node.get('type')
        if not (isinstance(kind, str) and kind.startswith('mmattn.')):
            continue
        name = kind[len('mmattn.'):]
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
            names = ', '.join('mmattn.' + c for c in close)
            hint = f'; did you mean {names}?' if close else ''
            raise ConfigError(f'unknown type {kind!r} at {path}.type{hint}')


def _dataset_roots(cfg):
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader) is None:
            continue
        for path, node in _walk(cfg[loader].get('dataset', {}),
                                f'{loader}.dataset'):
            if node.get('data_root') is not None:
                yield f'{path}.data_root', node['data_root']


def check_data_roots(cfg, loaders=None):
    """Every dataset ``data_root`` the run will read exists.

    Raises:
        ConfigError: naming the missing directory and how to fix it.
    """
    for path, root in _dataset_roots(cfg):
        if loaders and not path.startswith(loaders):
            continue
        if not osp.isdir(root):
            hint = ('run `python tools/make_toy_data.py` to create it'
                    if 'toy' in osp.basename(osp.normpath(root)) else
                    'see "Real data" in README.md for the expected layout')
            raise ConfigError(
                f'{path} = {root!r} does not exist: {hint}, or point the '
                f'config elsewhere with --cfg-options {path}=PATH')


def _is_local(path):
    return isinstance(path, str) and '://' not in path


def check_checkpoints(cfg):
    """Every local checkpoint a training run loads exists: ``Pretrained``
    init_cfgs, ``pretrained`` strings in the model, and ``load_from``.

    mmengine opens them only in ``init_weights``, after the datasets and the
    model are built. URLs (``https://``, ``open-mmlab://``, ...) are left to
    mmengine.

    Raises:
        ConfigError: naming the missing file and where the config sets it.
    """
    wanted = [('load_from', cfg.get('load_from'))]
    for path, node in _walk(cfg.get('model', {}), 'model'):
        if node.get('type') == 'Pretrained':
            wanted.append((f'{path}.checkpoint', node.get('checkpoint')))
        if isinstance(node.get('pretrained'), str):
            wanted.append((f'{path}.pretrained', node['pretrained']))
    for path, checkpoint in wanted:
        if _is_local(checkpoint) and not osp.isfile(checkpoint):
            raise ConfigError(
                f'{path} = {checkpoint!r} does not exist: put the weights '
                f'there (the config\'s README says where they come from) or '
                f'point the config at them with --cfg-options '
                f'{path}=PATH')


def coco_categories(ann_file):
    """The category names of a COCO annotation file.

    The ``categories`` list is decoded on its own where it is found
    (instances_train2017.json holds 448 MB of images and annotations before
    it); otherwise the whole file is parsed.
    """
    with open(ann_file, 'rb') as f:
        data = f.read()
    start = data.rfind(b'"categories"')
    if start >= 0:
        tail = data[start:].decode('utf-8')
        value = re.match(r'"categories"\s*:\s*', tail)
        try:
            categories, _ = json.JSONDecoder().raw_decode(tail, value.end())
            return [category['name'] for category in categories]
        except (ValueError, TypeError, KeyError):
            pass  # the key inside some string: parse the whole file
    return [category['name'] for category in json.loads(data)['categories']]


def _host_dataset_classes(scope):
    """The host's dataset registry and the base classes checked below."""
    if scope == 'mmdet':
        from mmdet.datasets import CocoDataset
        from mmdet.registry import DATASETS
        return DATASETS, CocoDataset
    from mmseg.datasets import BaseSegDataset
    from mmseg.registry import DATASETS
    return DATASETS, BaseSegDataset


def _datasets(cfg, loader, registry):
    """Yield (path, node, class) for every dataset a dataloader builds,
    wrappers (RepeatDataset, ConcatDataset) looked through."""
    if cfg.get(loader) is None:
        return
    for path, node in _walk(cfg[loader].get('dataset', {}),
                            f'{loader}.dataset'):
        kind = node.get('type')
        if isinstance(kind, str) and not path.endswith('pipeline') and \
                '.pipeline[' not in path:
            cls = registry.get(kind)
            if cls is not None:
                yield path, node, cls


def _class_names(node, cls):
    classes = (node.get('metainfo') or {}).get('classes')
    return list(classes if classes is not None else
                cls.METAINFO.get('classes', ()))


def _ann_path(node):
    ann_file, root = node.get('ann_file', ''), node.get('data_root')
    if root and ann_file and not osp.isabs(ann_file):
        return osp.join(root, ann_file)
    return ann_file


def _names(names, shown=5):
    more = ', ...' if len(names) > shown else ''
    return ', '.join(map(repr, names[:shown])) + more


def _check_coco(path, classes, ann_file):
    if not osp.isfile(ann_file):
        raise ConfigError(f'{path}: annotation file {ann_file!r} does not '
                          f'exist')
    categories = set(coco_categories(ann_file))
    missing = [c for c in classes if c not in categories]
    if missing:
        raise ConfigError(
            f'{path}: {len(missing)} of the config\'s {len(classes)} classes '
            f'are not categories of {ann_file} ({_names(missing)}); mmdet '
            f'would drop them and the COCO evaluation would fail after '
            f'training: set metainfo=dict(classes=...) to categories the '
            f'file has (and the heads\' num_classes), or use an annotation '
            f'file that has these')


def _check_seg_subset(path, classes, cls):
    known = list(cls.METAINFO.get('classes', ()))
    unknown = [c for c in classes if c not in known]
    if not (known and unknown):
        return
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=3)
        hints.append(f'{name!r} (did you mean {", ".join(map(repr, close))}?)'
                     if close else repr(name))
    raise ConfigError(
        f'{path}: {cls.__name__} maps a subset of its {len(known)} classes '
        f'through a label map, and {", ".join(hints)} is not one of them: '
        f'use its names ({cls.__name__}.METAINFO["classes"])')


#: The heads whose ``num_classes`` must match the dataset classes.
HEADS = {
    'mmdet': ('roi_head.bbox_head', 'roi_head.mask_head', 'bbox_head'),
    'mmseg': ('decode_head', 'auxiliary_head'),
}


def _heads(model, scope):
    for key in HEADS[scope]:
        node = model
        for part in key.split('.'):
            node = node.get(part) if isinstance(node, dict) else None
        for i, head in enumerate(node if isinstance(node, list) else [node]):
            suffix = f'[{i}]' if isinstance(node, list) else ''
            if isinstance(head, dict) and 'num_classes' in head:
                yield f'model.{key}{suffix}', head['num_classes']


def check_classes(cfg, scope, loaders=None):
    """The config's classes fit its annotations and its heads.

    - mmdet COCO datasets (and COCO evaluators): every class is a category
      of the annotation file. mmdet keeps only the classes the file has, so
      a model with more then fails in ``CocoMetric.results2json`` after the
      whole training.
    - mmseg datasets with a class subset (ADE20K-style label maps): every
      name is one of the dataset's own classes.
    - The heads' ``num_classes`` equal the number of classes.

    Raises:
        ConfigError: naming the dataset or head, the classes and the remedy.
    """
    registry, base = _host_dataset_classes(scope)
    names = None
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if loaders and loader not in loaders:
            continue
        for path, node, cls in _datasets(cfg, loader, registry):
            if not issubclass(cls, base):
                continue
            classes = _class_names(node, cls)
            names = classes if names is None else names
            if scope == 'mmdet':
                _check_coco(path, classes, _ann_path(node))
                evaluator = cfg.get(loader.replace('dataloader', 'evaluator'))
                for metric in (evaluator if isinstance(evaluator, list) else
                               [evaluator]):
                    if isinstance(metric, dict) and metric.get('ann_file') \
                            and 'CocoMetric' in str(metric.get('type')):
                        _check_coco(path, classes, metric['ann_file'])
            else:
                _check_seg_subset(path, classes, cls)
    if names is None:
        return
    for path, num_classes in _heads(cfg.get('model', {}), scope):
        if num_classes != len(names):
            raise ConfigError(
                f'{path}.num_classes = {num_classes}, but the datasets have '
                f'{len(names)} classes ({_names(names)}): set '
                f'{path}.num_classes={len(names)}')


def adapt_to_cpu_distributed(cfg, launcher):
    """Distributed runs without CUDA use gloo, and SyncBN becomes BN.

    SyncBN needs CUDA; on CPU each process then normalises its own batch.
    Both changes are logged.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    env_cfg = cfg.setdefault('env_cfg', ConfigDict())
    dist_cfg = env_cfg.setdefault('dist_cfg', ConfigDict())
    if dist_cfg.get('backend', 'nccl') != 'gloo':
        print_log(f'no CUDA: distributed backend '
                  f'{dist_cfg.get("backend", "nccl")!r} -> gloo', 'current')
        dist_cfg['backend'] = 'gloo'
    converted = []
    for path, node in _walk(cfg.get('model', {}), 'model'):
        if node.get('type') in ('SyncBN', 'MMSyncBN'):
            node['type'] = 'BN'
            converted.append(path)
    if converted:
        print_log(f'no CUDA: SyncBN -> BN in {len(converted)} place(s) '
                  f'({", ".join(converted)}); each process normalises its '
                  f'own batch', 'current')
    # DDP on CPU modules takes no device_ids.
    wrapper = cfg.setdefault('model_wrapper_cfg',
                             ConfigDict(type='MMDistributedDataParallel'))
    wrapper.setdefault('device_ids', None)


def enable_amp(cfg):
    """``--amp``: fp16 with dynamic loss scaling on CUDA, as the hosts' tools
    do, and bf16 autocast (:class:`mmattn.engine.BF16OptimWrapper`) on CPU."""
    wrapper = cfg.optim_wrapper
    if wrapper.get('type') in ('AmpOptimWrapper', 'mmattn.BF16OptimWrapper'):
        print_log(f'--amp: the config already uses {wrapper.type}', 'current')
    elif torch.cuda.is_available():
        wrapper.type, wrapper.loss_scale = 'AmpOptimWrapper', 'dynamic'
    else:
        wrapper.type = 'mmattn.BF16OptimWrapper'
        print_log('--amp without CUDA: bf16 autocast on CPU', 'current')


def prepare_cfg(config, launcher='none', cfg_options=None, work_dir=None,
                mode='train'):
    """Load and check a config for a train or test run.

    Args:
        config (str): config path.
        launcher (str): 'none', 'pytorch', 'slurm' or 'mpi'.
        cfg_options (dict, optional): overrides, as ``--cfg-options``.
        work_dir (str, optional): ``--work-dir``; defaults to
            ``./work_dirs/<config name>`` as in the hosts' tools.
        mode (str): 'train' checks every dataloader and the checkpoints
            the model loads; 'test' only the test dataloader (the weights
            come from the tested checkpoint).

    Returns:
        tuple[Config, str]: the config and its host scope.
    """
    if mode not in ('train', 'test'):
        raise ValueError(f"mode must be 'train' or 'test', got {mode!r}")
    if not osp.isfile(config):
        raise ConfigError(f'config not found: {config!r}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    loaders = ('test_dataloader', ) if mode == 'test' else None
    scope = host_scope(cfg)
    check_mmattn_types(cfg)
    check_data_roots(cfg, loaders)
    if mode == 'train':
        check_checkpoints(cfg)
    check_classes(cfg, scope, loaders)
    adapt_to_cpu_distributed(cfg, launcher)
    return cfg, scope


def base_batch_size(cfg):
    """The total batch the config's learning rate is set for.

    ``auto_scale_lr.base_batch_size`` where the config has it (mmdet's
    schedules do), else N×M from the ``NxbM`` field of its name (mmseg's
    configs carry none; ``upernet_van-b2_4xb4-160k_...`` is 4 GPUs × 4).

    Returns:
        tuple[int, str]: the batch and where it was read.

    Raises:
        ConfigError: when the config has neither.
    """
    auto_scale_lr = cfg.get('auto_scale_lr') or {}
    if auto_scale_lr.get('base_batch_size'):
        return auto_scale_lr['base_batch_size'], 'auto_scale_lr'
    name = osp.basename(cfg.filename or '')
    match = re.search(r'_(\d+)xb(\d+)(?=[-_.])', name)
    if match is None:
        raise ConfigError(
            f'--auto-scale-lr needs the total batch the config\'s lr is set '
            f'for: add auto_scale_lr = dict(enable=False, '
            f'base_batch_size=...) to {name or "the config"}, or name it '
            f'with NxbM (N GPUs x M images)')
    gpus, per_gpu = map(int, match.groups())
    return gpus * per_gpu, f'the config name ({match.group()[1:]})'


def enable_auto_scale_lr(cfg):
    """``--auto-scale-lr``: mmengine scales the lr by the actual total batch
    (world size × ``train_dataloader.batch_size``) over
    :func:`base_batch_size`, and logs the ratio."""
    batch, source = base_batch_size(cfg)
    cfg.auto_scale_lr = ConfigDict(enable=True, base_batch_size=batch)
    print_log(f'--auto-scale-lr: base batch {batch} (from {source}); the lr '
              f'is scaled by world size x {cfg.train_dataloader.batch_size} '
              f'/ {batch}', 'current')


def checkpoint_intact(path):
    """Whether ``path`` is a whole checkpoint: torch's zip format with every
    member's CRC right (a full disk or a crash leaves it truncated)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile):
        return False


def newest_intact_checkpoint(work_dir):
    """The intact ``iter_N.pth`` / ``epoch_N.pth`` of ``work_dir`` with the
    largest N, or None."""
    numbered = []
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        match = re.fullmatch(r'(?:iter|epoch)_(\d+)\.pth', osp.basename(path))
        if match:
            numbered.append((int(match.group(1)), path))
    for _, path in sorted(numbered, reverse=True):
        if checkpoint_intact(path):
            return path
    return None


def resolve_resume(cfg, resume):
    """``--resume [CKPT]``: resume from CKPT, or from the latest checkpoint
    of the work dir (``resume='auto'``).

    With nothing to resume in the work dir, the run says so and starts from
    scratch (mmengine logs "Auto resumed from the latest checkpoint None").

    Raises:
        ConfigError: a missing or truncated checkpoint, naming the newest
            intact one of its directory and how to resume from it.
    """
    if resume is None:
        return
    if resume == 'auto':
        from mmengine.runner import find_latest_checkpoint
        path = find_latest_checkpoint(cfg.work_dir) if osp.isdir(
            cfg.work_dir) else None
        if path is None:
            print_log(f'--resume: no checkpoint in {cfg.work_dir}, nothing '
                      f'to resume: training starts from scratch', 'current')
            cfg.resume, cfg.load_from = False, None
            return
    else:
        path = resume
    if not checkpoint_intact(path):
        problem = ('does not exist' if not osp.exists(path) else
                   'is truncated or corrupt')
        intact = newest_intact_checkpoint(osp.dirname(path) or '.')
        remedy = (f'the newest intact one is {intact}: resume from it with '
                  f'--resume {intact}' if intact else
                  'no intact checkpoint is beside it: start without --resume')
        raise ConfigError(f'--resume: checkpoint {path} {problem}; {remedy}')
    cfg.resume, cfg.load_from = True, path


#: mmseg ``--tta``: VAN-Segmentation's multi-scale test (Swin's
#: ``--aug-test``), the test scale times each ratio, each also flipped.
SEG_TTA_RATIOS = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)


def seg_tta_pipeline(test_pipeline, ratios=SEG_TTA_RATIOS):
    """mmseg's ``TestTimeAug`` form of a test pipeline: its ``Resize`` at
    ``scale`` × each ratio, each unflipped and flipped horizontally.

    Args:
        test_pipeline (list[dict]): loads the image first and resizes it
            once with ``Resize(scale=..., keep_ratio=True)``.
        ratios (tuple[float]): scale ratios.
    """
    first, *steps = [dict(step) for step in test_pipeline]
    resizes = [i for i, step in enumerate(steps) if step['type'] == 'Resize']
    if len(resizes) != 1 or 'scale' not in steps[resizes[0]]:
        raise ConfigError('--tta needs a test pipeline with one '
                          'Resize(scale=...), or a tta_pipeline in the '
                          'config')
    resize = steps.pop(resizes[0])
    width, height = resize['scale']
    scales = [dict(resize, scale=(int(width * r), int(height * r)))
              for r in ratios]
    flips = [dict(type='RandomFlip', prob=0., direction='horizontal'),
             dict(type='RandomFlip', prob=1., direction='horizontal')]
    return [first, dict(type='TestTimeAug',
                        transforms=[scales, flips] +
                        [[step] for step in steps])]


def det_tta_pipeline(test_pipeline):
    """mmdet's default ``--tta`` pipeline (its tools/test.py): the test
    pipeline with the packing step replaced by a horizontal flip and its
    absence, packed with the flip in the meta keys."""
    pipeline = [dict(step) for step in test_pipeline]
    pack = dict(type='PackDetInputs',
                meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                           'scale_factor', 'flip', 'flip_direction'))
    pipeline[-1] = dict(type='TestTimeAug', transforms=[
        [dict(type='RandomFlip', prob=1.), dict(type='RandomFlip', prob=0.)],
        [pack]])
    return pipeline


def enable_tta(cfg, scope):
    """``--tta`` as the hosts' tools/test.py: the model is wrapped in
    ``tta_model`` and the test set runs ``tta_pipeline``, both from the
    config where it has them.

    Without them: mmseg ``SegTTAModel`` over :func:`seg_tta_pipeline`;
    mmdet ``DetTTAModel`` (NMS of the merged boxes) over
    :func:`det_tta_pipeline`.

    Raises:
        ConfigError: for models whose predictions the host cannot merge
            (mmdet 3.3 merges boxes only, not instance masks).
    """
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:  # through dataset wrappers
        dataset = dataset.dataset
    if scope == 'mmdet':
        if (cfg.model.get('roi_head') or {}).get('mask_head') is not None:
            raise ConfigError(
                '--tta: mmdet 3.3 merges augmented boxes only '
                '(DetTTAModel does not support instance masks), and this '
                'model predicts masks; test it without --tta')
        default_model = dict(
            type='DetTTAModel',
            tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5),
                         max_per_img=100))
        default_pipeline = det_tta_pipeline
    else:
        default_model = dict(type='SegTTAModel')
        default_pipeline = seg_tta_pipeline
    if cfg.get('tta_model') is None:
        cfg.tta_model = default_model
    if cfg.get('tta_pipeline') is None:
        cfg.tta_pipeline = default_pipeline(dataset.pipeline)
        source = 'a tta_pipeline built from the test pipeline'
    else:
        source = "the config's tta_pipeline"
    print_log(f'--tta: {cfg.tta_model["type"]} over {source}', 'current')
    dataset.pipeline = cfg.tta_pipeline
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)


def add_exact_resume(cfg):
    """Add :class:`mmattn.engine.ExactResumeHook` unless the config has it."""
    hooks = list(cfg.get('custom_hooks', []))
    if not any(h.get('type') == 'mmattn.ExactResumeHook' for h in hooks):
        # Assigned, not appended: Config.setdefault returns a copy of lists.
        cfg.custom_hooks = hooks + [ConfigDict(type='mmattn.ExactResumeHook')]


def init_cpu_distributed(cfg):
    """Start the gloo process group of a CPU run launched by torchrun.

    mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device`` whatever
    the backend, which fails without CUDA; the runner skips it when a group
    exists already.
    """
    import datetime

    import torch.distributed as dist
    if cfg.launcher == 'none' or torch.cuda.is_available() or \
            dist.is_initialized():
        return
    if cfg.launcher != 'pytorch':
        raise ConfigError(f'--launcher {cfg.launcher} needs CUDA; launch CPU '
                          f'runs with torchrun (tools/dist_train.sh) and '
                          f'--launcher pytorch')
    dist_cfg = cfg.env_cfg.dist_cfg
    timeout = dist_cfg.get('timeout')
    dist.init_process_group(
        backend=dist_cfg.backend,
        timeout=None if timeout is None else datetime.timedelta(
            seconds=timeout))


def build_runner(cfg):
    """``Runner.from_cfg``, or the config's own ``runner_type``."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    init_cpu_distributed(cfg)
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)
