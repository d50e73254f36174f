"""Building attention blocks inside hosts' heads and necks."""
import copy
import inspect

from mmattn.registry import MODELS


def build_block(cfg: dict, in_channels: int, norm_cfg=None,
                low_channels=None):
    """Build the mmattn block ``cfg`` for ``in_channels`` channels.

    ``type`` without a scope is taken as mmattn's; ``in_channels`` is set
    (an explicit different value raises ``ValueError``), and ``norm_cfg``
    and ``low_channels`` (the second input of two-level blocks such as
    AFNB) are passed when given here, accepted by the block and absent
    from ``cfg``. Used by :class:`~mmattn.models.heads.AttentionHead` and
    :class:`~mmattn.models.necks.AttentionNeck`.
    """
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise ValueError(f'block must be a config dict with a type, '
                         f'got {cfg!r}')
    cfg = copy.deepcopy(cfg)
    block_type = cfg['type']
    if isinstance(block_type, str):
        if '.' not in block_type:
            block_type = cfg['type'] = f'mmattn.{block_type}'
        block_cls = MODELS.get(block_type)
        if block_cls is None:
            raise KeyError(f'block type {block_type!r} is not registered; '
                           f'is mmattn.models imported (custom_imports)?')
    else:
        block_cls = block_type
    if cfg.setdefault('in_channels', in_channels) != in_channels:
        raise ValueError(f'block in_channels={cfg["in_channels"]} differs '
                         f'from the {in_channels} channels it receives')
    accepts = inspect.signature(block_cls).parameters
    for name, value in (('norm_cfg', norm_cfg),
                        ('low_channels', low_channels)):
        if value is not None and name in accepts:
            cfg.setdefault(name, value)
    return MODELS.build(cfg)
