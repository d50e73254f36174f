"""What every attention block shares: base class, paper record, lookup."""
from dataclasses import dataclass
from typing import ClassVar, Optional

from mmengine.model import BaseModule

from mmattn.registry import MODELS
from ..utils import positive_int

FAMILIES = ('channel', 'spatial', 'channel-spatial', 'branch',
            'self-attention')


@dataclass(frozen=True)
class Paper:
    """Where a block comes from: the one record of its paper. The zoo tables,
    the configs' metafiles and the docs are generated from it or checked
    against it.

    Args:
        title (str): Paper title.
        url (str): arXiv (or proceedings) link.
        year (int): Publication year.
        family (str, optional): One of :data:`FAMILIES`, as in Guo et al.
            2022; None for a backbone that is not itself an attention
            design (MobileNetV2, which attention blocks go into).
        code (str): Official code consulted, if any. Defaults to ''.
        reported (str): Dense-prediction gain the paper reports, verbatim
            enough to check, e.g. ``'Mask R-CNN R50 1x: +1.5 box / +1.2 mask
            AP (38.2/34.7 baseline)'``. Defaults to ''.
    """
    title: str
    url: str
    year: int
    family: Optional[str]
    code: str = ''
    reported: str = ''

    def __post_init__(self):
        if self.family is not None and self.family not in FAMILIES:
            raise ValueError(f'family must be one of {FAMILIES}, '
                             f'got {self.family!r}')


class AttentionBlock(BaseModule):
    """Base of every mmattn block: ``forward(x: N×C×H×W) -> N×C×H×W``.

    A block is a plug-in wherever a feature map of ``in_channels`` channels
    flows: mmdet's and mmseg's ResNet ``plugins``, the context module of
    :class:`~mmattn.models.heads.AttentionHead`, FPN levels through
    :class:`~mmattn.models.necks.AttentionNeck`, the ``attention=`` hook of
    the mobile backbones. ``docs/blocks.md`` states the whole contract and
    the checklist for adding a block; in short:

    - ``__init__(self, in_channels, ..., init_cfg=None)``: the hosts pass
      the channel count as the keyword ``in_channels``; this base checks it
      (a positive int, ``True`` refused) and stores it.
    - ``forward`` keeps the shape, dtype and NCHW layout of its input, for
      any H and W (odd, non-square, 1×1) and batch 1.
    - ``_abbr_`` is set on the class: it names the layer in a ResNet block.
    - ``paper`` is the block's :class:`Paper`.
    - The block's own initialisation (the zero or identity start a paper
      prescribes) lives in :meth:`reset_parameters`.

    Class attributes:
        paper (Paper): where the block comes from.
        identity_at_init (bool): :meth:`reset_parameters` makes the block the
            identity, as its paper starts it.
    """
    paper: ClassVar[Optional[Paper]] = None
    identity_at_init: ClassVar[bool] = False
    _abbr_ = 'attn'

    def __init__(self, in_channels: int, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = positive_int(in_channels, 'in_channels')

    def reset_parameters(self):
        """The block's own initialisation; by default PyTorch's, kept.

        Override it for what the paper or the official code prescribes (a
        zero-initialised last layer, an identity gate). It is applied by
        :meth:`init_weights`, so it survives the host's initialisers.
        """

    def init_weights(self):
        """``init_cfg`` if the block has one, else :meth:`reset_parameters`.

        A host's initialisers (mmdet ResNet's Kaiming init of every conv)
        run before its children's ``init_weights``, so the block's own
        initialisation comes last and holds. A block given its own
        ``init_cfg`` gets exactly that instead, and a ``Pretrained`` load is
        never overwritten.
        """
        super().init_weights()
        if self.init_cfg is None:
            self.reset_parameters()


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
