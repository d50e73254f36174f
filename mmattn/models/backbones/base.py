"""What mmattn's backbones share: archs, outputs, freezing, norm_eval,
pretrained loading, and the memory format their stages run in."""
from typing import ClassVar, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from ..attention.base import Paper
from ..utils import is_pretrained, memory_format_of


class StagedBackbone(BaseModule):
    """Base of the backbones: a stack of stages whose outputs feed a neck.

    A subclass declares its archs and builds its layers, then implements
    :meth:`forward_stage` and :meth:`frozen_modules` (and optionally
    :meth:`stage_output`, :meth:`reset_parameters`,
    :meth:`convert_state_dict`); the base gives every backbone the same
    arguments and behaviour:

    - ``arch``: a name of :attr:`arch_zoo` (case-insensitive), or a dict
      with the keys :attr:`arch_keys` (and optionally those of
      :attr:`arch_defaults`), one entry per stage for the per-stage keys.
    - ``out_indices``: the stages whose outputs :meth:`forward` returns (in
      stage order); negative indices count from the last stage.
    - ``frozen_stages``: -1 freezes nothing; ``k`` freezes the modules that
      :meth:`frozen_modules` gives for ``0 .. k`` (no gradients, eval mode).
    - ``norm_eval``: batch norms stay in eval mode while training.
    - ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=None)``
      loads a checkpoint strictly, in any layout
      :meth:`convert_state_dict` knows; without an ``init_cfg``,
      :meth:`reset_parameters` gives the official initialisation.
    - On CPU the stages run in channels_last (:attr:`channels_last`), and
      the outputs come back in the memory format of the input: mmcv's CPU
      ops (RoIAlign among them) read NCHW without checking.

    A bad argument raises ``ValueError`` naming it.

    Class attributes:
        paper (Paper): Where the backbone comes from (the configs'
            metafiles and READMEs are generated from it).
        arch_zoo (dict[str, dict]): Named archs.
        arch_keys (tuple[str]): Keys a custom arch must have.
        arch_defaults (dict): Optional arch keys and their defaults.
        per_stage_keys (tuple[str]): Arch keys with one entry per stage.
        classifier_keys (tuple[str]): Regexes of checkpoint keys dropped when
            loading pretrained weights (a classification head).
        new_keys (tuple[str]): Regexes of this model's keys that a
            classification checkpoint does not have (output norms); they
            keep their initialisation and are reported.
        channels_last (bool): Run the stages in channels_last on CPU, where
            oneDNN's depthwise and 1×1 convs are several times faster in
            that layout. An attribute, so that a benchmark or a test can
            set it on an instance. Defaults to True.
    """
    paper: ClassVar[Optional[Paper]] = None
    arch_zoo: ClassVar[Dict[str, dict]] = {}
    arch_keys: ClassVar[Tuple[str, ...]] = ()
    arch_defaults: ClassVar[dict] = {}
    per_stage_keys: ClassVar[Tuple[str, ...]] = ()
    classifier_keys: ClassVar[Tuple[str, ...]] = ()
    new_keys: ClassVar[Tuple[str, ...]] = ()
    channels_last: bool = True

    def __init__(self,
                 arch,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.arch_settings = self.parse_arch(arch)
        self.num_stages = self.count_stages(self.arch_settings)
        self.out_indices = self._parse_out_indices(out_indices)
        if isinstance(frozen_stages, bool) or \
                not isinstance(frozen_stages, int) or \
                not -1 <= frozen_stages < self.num_stages:
            raise ValueError(f'frozen_stages must be an int in [-1, '
                             f'{self.num_stages - 1}] (-1 freezes nothing), '
                             f'got {frozen_stages!r}')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

    # -- arch ---------------------------------------------------------------
    @classmethod
    def parse_arch(cls, arch) -> dict:
        """The settings of ``arch``: a copy of a named arch with the
        defaults filled in, or a checked custom dict."""
        if isinstance(arch, str):
            if arch.lower() not in cls.arch_zoo:
                raise ValueError(
                    f'arch must be one of {sorted(cls.arch_zoo)} or a dict '
                    f'with the keys {list(cls.arch_keys)}, got {arch!r}')
            return {**cls.arch_defaults, **cls.arch_zoo[arch.lower()]}
        if not isinstance(arch, dict):
            raise ValueError(f'arch must be a name or a dict, got '
                             f'{type(arch).__name__} {arch!r}')
        missing = [k for k in cls.arch_keys if k not in arch]
        unknown = sorted(set(arch) - set(cls.arch_keys) -
                         set(cls.arch_defaults))
        if missing or unknown:
            raise ValueError(
                f'a custom arch needs the keys {list(cls.arch_keys)}'
                + (f' (optional: {sorted(cls.arch_defaults)})'
                   if cls.arch_defaults else '')
                + f'; missing {missing}, unknown {unknown}')
        arch = {**cls.arch_defaults, **arch}
        lengths = {k: len(arch[k]) for k in cls.per_stage_keys
                   if isinstance(arch[k], (list, tuple))}
        if len(set(lengths.values())) > 1 or 0 in lengths.values():
            raise ValueError(f'the per-stage arch keys need one entry per '
                             f'stage each, got lengths {lengths}')
        return arch

    @classmethod
    def count_stages(cls, arch: dict) -> int:
        """The number of stages of a parsed arch: the length of its first
        per-stage key."""
        return len(arch[cls.per_stage_keys[0]])

    def _parse_out_indices(self, out_indices) -> Tuple[int, ...]:
        if isinstance(out_indices, int) and not isinstance(out_indices, bool):
            out_indices = (out_indices, )
        n = self.num_stages
        if not isinstance(out_indices, Sequence) or not out_indices or any(
                isinstance(i, bool) or not isinstance(i, int)
                or not -n <= i < n for i in out_indices):
            raise ValueError(f'out_indices must be stage indices in '
                             f'[{-n}, {n}), got {out_indices!r}')
        return tuple(i % n for i in out_indices)

    # -- what a subclass implements -----------------------------------------
    def forward_stage(self, i: int, x: Tensor) -> Tensor:
        """Stage ``i`` (0-based) on the previous stage's output, or on the
        input for stage 0 (stems and downsampling included)."""
        raise NotImplementedError

    def stage_output(self, i: int, x: Tensor) -> Tensor:
        """What :meth:`forward` returns for stage ``i``: its output, or a
        norm of it. Called only for stages in ``out_indices``."""
        return x

    def frozen_modules(self, i: int) -> List[nn.Module]:
        """The modules ``frozen_stages=i`` freezes in addition to those of
        ``i - 1``."""
        raise NotImplementedError

    def reset_parameters(self):
        """The official initialisation; by default PyTorch's, kept."""

    @staticmethod
    def convert_state_dict(state_dict: dict) -> dict:
        """Map a checkpoint of a known foreign layout onto this model's
        keys; keys already in this layout pass through unchanged."""
        return state_dict

    # -- shared behaviour ---------------------------------------------------
    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        out_format = memory_format_of(x)
        layout = torch.channels_last if self.channels_last and x.is_cpu \
            else torch.contiguous_format
        outs = []
        for i in range(self.num_stages):
            x = self.forward_stage(i, x.contiguous(memory_format=layout))
            if i in self.out_indices:
                out = self.stage_output(i, x)
                outs.append(out.contiguous(memory_format=out_format))
        return tuple(outs)

    def _freeze_stages(self):
        """Freeze stages ``0 .. frozen_stages``; subclasses call it at the
        end of ``__init__`` (and :meth:`train` keeps them in eval mode)."""
        for i in range(self.frozen_stages + 1):
            for module in self.frozen_modules(i):
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def train(self, mode: bool = True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    def init_weights(self):
        """Load the ``Pretrained`` checkpoint of ``init_cfg`` strictly, or
        apply ``init_cfg`` as mmengine does, or, without one,
        :meth:`reset_parameters`."""
        if isinstance(self.init_cfg, dict) and is_pretrained(self.init_cfg):
            from mmattn.checkpoint import load_pretrained
            load_pretrained(self, self.init_cfg['checkpoint'],
                            prefix=self.init_cfg.get('prefix'),
                            convert=self.convert_state_dict,
                            drop=self.classifier_keys,
                            allow_missing=self.new_keys)
            self._is_init = True
            return
        super().init_weights()
        if self.init_cfg is None:
            self.reset_parameters()
