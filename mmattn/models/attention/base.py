"""What every attention block shares: its base class, paper record and lookup."""
from dataclasses import dataclass
from typing import ClassVar, Optional

from mmengine.model import BaseModule

from mmattn.registry import MODELS

FAMILIES = ('channel', 'spatial', 'channel-spatial', 'branch', 'self-attention')


@dataclass(frozen=True)
class Paper:
    """Where a block comes from; zoo tables and the docs are built from it.

    Args:
        title (str): Paper title.
        url (str): arXiv (or proceedings) link.
        year (int): Publication year.
        family (str): One of :data:`FAMILIES`, as in Guo et al. 2022.
        code (str): Official code consulted, if any. Defaults to ''.
        reported (str): Dense-prediction gain the paper reports, verbatim
            enough to check, e.g. ``'Mask R-CNN R50 1x: +1.5 box / +1.2 mask
            AP (38.2/34.7 baseline)'``. Defaults to ''.
    """
    title: str
    url: str
    year: int
    family: str
    code: str = ''
    reported: str = ''

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f'family must be one of {FAMILIES}, '
                             f'got {self.family!r}')


class AttentionBlock(BaseModule):
    """Base of every mmattn block: ``forward(x: N×C×H×W) -> N×C×H×W``.

    The plug-in contract (``../shared/DESIGN.md``): the first argument is
    ``in_channels`` (mmdet's ResNet passes it by keyword), any H and W work,
    and ``_abbr_`` names the layer inside a ResNet block.

    Class attributes:
        paper (Paper): where the block comes from.
        identity_at_init (bool): the paper zero-initialises the block so that
            it starts as the identity; ``init_weights`` must restore that
            after a host's init (e.g. mmdet ResNet's Kaiming init).
    """
    paper: ClassVar[Optional[Paper]] = None
    identity_at_init: ClassVar[bool] = False
    _abbr_ = 'attn'


def registered_blocks():
    """All registered attention blocks: subclasses of :class:`AttentionBlock`.

    Returns:
        dict[str, type]: ``{name: class}``, sorted by name.
    """
    import mmattn.models  # noqa: F401  (registers everything)
    return {
        name: cls
        for name, cls in sorted(MODELS.module_dict.items())
        if isinstance(cls, type) and issubclass(cls, AttentionBlock)
    }
