"""Safe checkpoint loading.

Since torch 2.6 ``torch.load`` unpickles with ``weights_only=True``: only
tensors, containers and an allowlist of classes are rebuilt, so a checkpoint
cannot run code. mmengine 0.10.7 checkpoints hold a few of its own classes
(the message hub's ``HistoryBuffer``) and numpy arrays, so ``--resume`` fails
with an ``UnpicklingError``. The fix here is the explicit allowlist in
:data:`SAFE_GLOBALS`, registered with ``torch.serialization.add_safe_globals``;
``weights_only`` is never turned off.

Importing :mod:`mmattn` also installs :func:`load_local` as mmengine's loader
for local files, so ``load_from``, ``--resume`` and ``init_cfg=Pretrained``
all get the allowlist and the clear errors below.
"""
import argparse
import os.path as osp
import pickle
import re
from collections import OrderedDict

import numpy as np
import torch
from mmengine.logging import print_log

__all__ = [
    'CheckpointError', 'SAFE_GLOBALS', 'register_safe_globals', 'load_local',
    'install_mmengine_loader', 'load_state_dict_file', 'load_pretrained',
    'rename_keys'
]


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, unsafe or does not fit the model."""


def _history_buffer_statistic(owner, name):
    """Stands in for ``builtins.getattr`` while unpickling.

    A pickled ``HistoryBuffer`` refers to its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``. Allowlisting ``getattr`` itself would
    let a checkpoint reach any attribute of any allowlisted object, so only
    that one use is rebuilt.
    """
    from mmengine.logging.history_buffer import HistoryBuffer

    # The defaults are registered only when a first HistoryBuffer is made.
    statistics = {'min', 'max', 'current', 'mean',
                  *HistoryBuffer._statistics_methods}
    if owner is HistoryBuffer and name in statistics:
        return getattr(owner, name)
    raise pickle.UnpicklingError(
        f'GLOBAL builtins.getattr is allowed only for HistoryBuffer '
        f'statistics, not for {name!r} of {owner!r}')


def _safe_globals():
    from mmengine.logging.history_buffer import HistoryBuffer
    from mmengine.logging.message_hub import MessageHub
    numpy_dtypes = [type(np.dtype(t)) for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
        np.uint32, np.uint64, np.float16, np.float32, np.float64, np.str_,
        np.object_)]
    return [
        # mmengine: the message hub's scalar logs and runtime info.
        HistoryBuffer, MessageHub,
        (_history_buffer_statistic, 'builtins.getattr'),
        # numpy arrays and scalars inside HistoryBuffer and dataset_meta.
        np.core.multiarray._reconstruct, np.core.multiarray.scalar,
        np.ndarray, np.dtype, *numpy_dtypes,
        # plain containers pickled by class rather than by opcode; timm's
        # training checkpoints (official VAN and Conv2Former weights) keep
        # their command line as an argparse.Namespace.
        OrderedDict, argparse.Namespace,
    ]


#: Classes a checkpoint may contain besides tensors and builtin containers:
#: everything mmengine, mmdet and mmseg runners save, nothing that can run
#: code.
SAFE_GLOBALS = _safe_globals()


def register_safe_globals():
    """Allow :data:`SAFE_GLOBALS` in every ``weights_only`` ``torch.load``."""
    torch.serialization.add_safe_globals(SAFE_GLOBALS)


def load_local(filename, map_location='cpu'):
    """``torch.load`` with ``weights_only=True`` and clear errors.

    Raises:
        FileNotFoundError: the file does not exist.
        CheckpointError: it holds a class that is not on the allowlist (a
            pickled payload that would run code is refused before anything
            in it runs).
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename!r}')
    register_safe_globals()
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=True)
    except pickle.UnpicklingError as error:
        found = re.search(r'GLOBAL ([\w.]+)', str(error))
        culprit = found.group(1) if found else 'an object'
        raise CheckpointError(
            f'refused to load {filename!r}: it contains {culprit}, which is '
            f'not a tensor, container or allowlisted class, and unpickling '
            f'it could run code. Nothing from the file was executed. If you '
            f'trust the file and the class is plain data, add it with '
            f'torch.serialization.add_safe_globals.') from None


def install_mmengine_loader():
    """Make :func:`load_local` mmengine's loader for local checkpoints, so
    ``load_from``, ``resume`` and ``Pretrained`` init use it."""
    from mmengine.runner import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_local,
                                     force=True)


def load_state_dict_file(filename, map_location='cpu'):
    """Load a checkpoint safely and return its state dict.

    Unwraps ``state_dict`` (mmengine, timm) or ``model`` (DeiT-style) when the
    file holds a full checkpoint.
    """
    checkpoint = load_local(filename, map_location)
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            f'{filename!r} holds a {type(checkpoint).__name__}, not a dict '
            f'of tensors')
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def rename_keys(state_dict, rules):
    r"""``state_dict`` with every key rewritten by ``rules``.

    Args:
        state_dict (dict): Checkpoint tensors by key.
        rules (Sequence[tuple[str, str]]): ``(pattern, replacement)`` pairs
            for ``re.sub``, applied to each key in order.

    Returns:
        dict: The same values under the new keys, in the same order.

    Raises:
        CheckpointError: two keys would get the same name.

    Example:
        >>> rename_keys({'blocks1.0.w': 1}, [(r'^blocks(\d+)', r'block\1')])
        {'block1.0.w': 1}
    """
    renamed = {}
    for key, value in state_dict.items():
        new = key
        for pattern, replacement in rules:
            new = re.sub(pattern, replacement, new)
        if new in renamed:
            raise CheckpointError(f'renaming gives two keys the name {new!r} '
                                  f'(one of them is {key!r})')
        renamed[new] = value
    return renamed


def _matching(keys, patterns):
    return sorted(k for k in keys if any(re.search(p, k) for p in patterns))


def load_pretrained(module,
                    filename,
                    prefix=None,
                    convert=None,
                    drop=(),
                    allow_missing=(),
                    logger='current'):
    """Load ``filename`` into ``module``, strictly.

    Args:
        module (nn.Module): the model to fill.
        filename (str): local checkpoint path.
        prefix (str, optional): keep only keys under ``prefix`` and strip it
            (e.g. ``'backbone.'``). Defaults to None.
        convert (callable, optional): ``state_dict -> state_dict`` mapping a
            foreign key layout onto ``module``'s. Defaults to None.
        drop (Sequence[str]): regexes of checkpoint keys to drop silently,
            e.g. a classifier head. Defaults to ().
        allow_missing (Sequence[str]): regexes of module keys that may be
            absent from the checkpoint; they keep their initialisation and
            are reported as newly initialised. Defaults to ().
        logger: mmengine logger for the report. Defaults to 'current'.

    Raises:
        CheckpointError: keys missing from or unexpected in the checkpoint,
            or shapes that differ, all listed.
    """
    state_dict = load_state_dict_file(filename)
    if prefix:
        prefix = prefix if prefix.endswith('.') else prefix + '.'
        state_dict = {k[len(prefix):]: v for k, v in state_dict.items()
                      if k.startswith(prefix)}
        if not state_dict:
            raise CheckpointError(
                f'no key of {filename!r} starts with prefix {prefix!r}')
    if convert is not None:
        state_dict = convert(state_dict)
    dropped = set(_matching(state_dict, drop))
    state_dict = {k: v for k, v in state_dict.items() if k not in dropped}

    own = module.state_dict()
    missing = [k for k in own if k not in state_dict]
    new = _matching(missing, allow_missing)
    missing = [k for k in missing if k not in new]
    unexpected = sorted(k for k in state_dict if k not in own)
    shapes = [f'{k}: checkpoint {tuple(v.shape)} vs model '
              f'{tuple(own[k].shape)}' for k, v in state_dict.items()
              if k in own and v.shape != own[k].shape]
    problems = [(name, keys) for name, keys in (
        ('missing keys', missing), ('unexpected keys', unexpected),
        ('shape mismatches', shapes)) if keys]
    if problems:
        lines = '\n'.join(f'  {name} ({len(keys)}): {", ".join(keys[:20])}'
                          + (' ...' if len(keys) > 20 else '')
                          for name, keys in problems)
        raise CheckpointError(
            f'{filename!r} does not fit {type(module).__name__}:\n{lines}')
    module.load_state_dict(state_dict, strict=False)
    if new:
        print_log(f'{type(module).__name__}: newly initialised, not in '
                  f'{osp.basename(filename)}: {", ".join(new)}', logger)
    return module
