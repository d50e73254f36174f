"""What every attention block shares: its paper record and the block lookup."""
from dataclasses import dataclass

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


def registered_blocks():
    """Names of all registered attention blocks (classes with a ``paper``).

    Returns:
        dict[str, type]: ``{name: class}``, sorted by name.
    """
    import mmattn.models  # noqa: F401  (registers everything)
    return {
        name: cls
        for name, cls in sorted(MODELS.module_dict.items())
        if isinstance(getattr(cls, 'paper', None), Paper)
    }
