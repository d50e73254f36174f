"""A neck wrapper that applies attention blocks to chosen pyramid levels."""
from typing import Optional, Sequence, Tuple, Union

from mmengine.model import BaseModule
from torch import Tensor, nn

from mmattn.registry import MODELS
from ..builder import build_block


@MODELS.register_module()
class AttentionNeck(BaseModule):
    """Wraps a host neck (e.g. mmdet's FPN) and adds attention blocks.

    ``position='before'`` applies the blocks to the backbone features the
    neck receives, ``'after'`` to the maps the neck returns; ``levels``
    picks the feature indices (0 = the finest). Each chosen level gets its
    own block (no weight sharing); its ``in_channels`` is the level's:
    ``neck['in_channels'][level]`` before the neck, ``neck['out_channels']``
    after it. Placing a block on the backbone's stage outputs ('before')
    is how papers that insert a module after each ResNet stage (RGA,
    DANet-style context modules) are reproduced without changing the
    backbone, up to the fact that the later stages then see the features
    without the block.

    A block that fuses two levels, such as ANN's ``AFNB(high, low)``, gets
    the feature at ``low_levels[i]`` as its second input (taken before any
    block of this wrapper ran); its ``low_channels`` is filled in when the
    block takes one and the config does not set it.

    The inner neck is built from its config in the current scope, so under
    an mmdet run ``dict(type='FPN', ...)`` is mmdet's FPN. Blocks are built
    from mmattn's registry (see :func:`~mmattn.models.builder.build_block`).

    Args:
        neck (dict): Config of the wrapped neck; it must give
            ``in_channels`` (a list) and, for ``position='after'``, an int
            ``out_channels``.
        block (dict | list[dict]): One block config for every chosen
            level, or one per level (same order as ``levels``), e.g. RGA
            with a ``spatial_size`` per level.
        levels (Sequence[int], optional): Indices of the levels that get a
            block. Defaults to all inputs (``'before'``) or
            ``range(num_outs)`` / ``range(len(in_channels))`` (``'after'``).
        position (str): ``'before'`` or ``'after'`` the neck. Defaults to
            ``'after'``.
        low_levels (Sequence[int | None], optional): For each of
            ``levels``, the level passed as the block's second input, or
            None for single-input blocks. Defaults to None (all single).
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> neck = AttentionNeck(
        ...     neck=dict(type='mmdet.FPN', in_channels=[8, 16],
        ...               out_channels=8, num_outs=2),
        ...     block=dict(type='mmattn.GlobalContext', ratio=1 / 4),
        ...     levels=(1, ), position='before')
    """
    positions = ('before', 'after')

    def __init__(self,
                 neck: dict,
                 block: Union[dict, Sequence[dict]],
                 levels: Optional[Sequence[int]] = None,
                 position: str = 'after',
                 low_levels: Optional[Sequence[Optional[int]]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if position not in self.positions:
            raise ValueError(f'position must be one of {self.positions}, '
                             f'got {position!r}')
        in_channels = neck.get('in_channels')
        if not isinstance(in_channels, (list, tuple)):
            raise ValueError(f'neck must set in_channels as a list, got '
                             f'{in_channels!r}')
        if position == 'before':
            channels = list(in_channels)
        else:
            out_channels = neck.get('out_channels')
            if not isinstance(out_channels, int):
                raise ValueError(f"position='after' needs an int "
                                 f"out_channels in neck, got "
                                 f'{out_channels!r}')
            num_outs = neck.get('num_outs', len(in_channels))
            channels = [out_channels] * num_outs
        levels = tuple(range(len(channels)) if levels is None else levels)
        bad = [i for i in levels if not 0 <= i < len(channels)]
        if bad or len(set(levels)) != len(levels):
            raise ValueError(f'levels must be distinct indices of the '
                             f'{len(channels)} feature maps {position} '
                             f'the neck, got {levels}')
        blocks = [block] * len(levels) if isinstance(block, dict) \
            else list(block)
        if len(blocks) != len(levels):
            raise ValueError(f'got {len(blocks)} block configs for '
                             f'{len(levels)} levels {levels}')
        low_levels = tuple([None] * len(levels) if low_levels is None
                           else low_levels)
        if len(low_levels) != len(levels) or any(
                i is not None and not 0 <= i < len(channels)
                for i in low_levels):
            raise ValueError(f'low_levels must give one level index (or '
                             f'None) for each of levels {levels}, got '
                             f'{low_levels}')
        self.position, self.levels = position, levels
        self.low_levels = low_levels
        self.neck = MODELS.build(neck)
        self.blocks = nn.ModuleList(
            build_block(cfg, channels[level],
                        low_channels=None if low is None else channels[low])
            for cfg, level, low in zip(blocks, levels, low_levels))

    def _attend(self, feats: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        outs = list(feats)
        for level, low, block in zip(self.levels, self.low_levels,
                                     self.blocks):
            outs[level] = block(feats[level]) if low is None \
                else block(feats[level], feats[low])
        return tuple(outs)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        if self.position == 'before':
            return self.neck(self._attend(inputs))
        return self._attend(self.neck(inputs))
