"""What ``tools/train.py`` and ``tools/test.py`` share: one entry point for
mmdet and mmseg configs, chosen by the config's ``default_scope``.

:func:`prepare_cfg` checks a config before anything is built (host scope,
``mmattn.*`` types, data roots) and adapts it to the machine (gloo and no
SyncBN for distributed runs on CPU).
"""
import difflib
import importlib
import os.path as osp

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
            hint = (f'; did you mean {", ".join("mmattn." + c for c in close)}?'
                    if close else '')
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
                loaders=None):
    """Load and check a config for a train or test run.

    Args:
        config (str): config path.
        launcher (str): 'none', 'pytorch', 'slurm' or 'mpi'.
        cfg_options (dict, optional): overrides, as ``--cfg-options``.
        work_dir (str, optional): ``--work-dir``; defaults to
            ``./work_dirs/<config name>`` as in the hosts' tools.
        loaders (tuple[str], optional): dataloaders whose data roots must
            exist (default: all).

    Returns:
        tuple[Config, str]: the config and its host scope.
    """
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
    scope = host_scope(cfg)
    check_mmattn_types(cfg)
    check_data_roots(cfg, loaders)
    adapt_to_cpu_distributed(cfg, launcher)
    return cfg, scope


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
