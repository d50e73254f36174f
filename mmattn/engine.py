"""Training-loop additions, registered in the ``mmattn`` scope.

- :class:`BF16OptimWrapper`: ``--amp`` on CPU.
- :class:`ExactResumeHook`: a resumed run ends with the same weights as an
  uninterrupted one (``tools/train.py`` adds it to every run).
"""
import random
from contextlib import contextmanager

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from mmengine.runner import IterBasedTrainLoop

from mmattn.registry import HOOKS, OPTIM_WRAPPERS

RNG_KEY = 'rng_states'


@OPTIM_WRAPPERS.register_module()
class BF16OptimWrapper(OptimWrapper):
    """Mixed precision on CPU: bf16 autocast around the forward pass.

    mmengine's ``AmpOptimWrapper`` (fp16 with loss scaling) requires a GPU;
    bf16 has fp32's range, so it needs no loss scaling.
    """

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=torch.bfloat16):
            yield


def get_rng_state():
    """The python, numpy and torch (CPU and CUDA) random states."""
    return dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state(),
        cuda=torch.cuda.get_rng_state_all()
        if torch.cuda.is_available() else [])


def set_rng_state(state):
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])
    if state['cuda'] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


class _RestoreAfter:
    """Wrap a data iterator: restore ``state`` once ``skip`` batches have
    been drawn, i.e. right before the first batch after a resume."""

    def __init__(self, iterator, skip, state):
        self._iterator, self._skip, self._state = iterator, skip, state

    def __iter__(self):
        return self

    def __next__(self):
        if self._skip == 0 and self._state is not None:
            set_rng_state(self._state)
            self._state = None
        self._skip -= 1
        return next(self._iterator)


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Carry every rank's random states in checkpoints, restore them on resume.

    mmengine 0.10.7 re-seeds a resumed run but does not restore the random
    states, so data augmentation and dropout after a resume differ from an
    uninterrupted run with the same seed. This hook records the states of all
    ranks after each training iteration (before the ``CheckpointHook``, which
    runs at a lower priority and writes on rank 0 only) and stores them in
    the checkpoint. On resume it restores them right before the first new
    batch is drawn: after the iteration-based loop has advanced the data
    iterator past the trained batches (which draws random numbers of its
    own). With ``randomness=dict(seed=..., deterministic=True)`` the resumed
    run then reproduces the uninterrupted one exactly.
    """
    priority = 'LOW'

    def __init__(self):
        self._latest = None  # states of all ranks after the last iteration
        self._states = None  # states loaded from a checkpoint

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        # A collective on every rank; rank 0 alone writes the checkpoint.
        self._latest = all_gather_object(get_rng_state())

    def before_save_checkpoint(self, runner, checkpoint):
        if self._latest is not None:
            checkpoint.setdefault('meta', {})[RNG_KEY] = self._latest

    def after_load_checkpoint(self, runner, checkpoint):
        self._states = checkpoint.get('meta', {}).get(RNG_KEY)

    def before_train(self, runner):
        states, self._states = self._states, None
        if states is None or runner.iter == 0:  # load_from, not a resume
            return
        if len(states) != get_world_size():
            print_log(f'resuming with {get_world_size()} processes from a '
                      f'checkpoint of {len(states)}: random states are not '
                      f'restored', 'current')
            return
        state = states[get_rank()]
        loop = runner.train_loop
        if isinstance(loop, IterBasedTrainLoop):
            loop.dataloader_iterator = _RestoreAfter(
                loop.dataloader_iterator, loop.iter, state)
        else:
            set_rng_state(state)
