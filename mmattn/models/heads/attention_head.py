"""An mmseg decode head around any mmattn attention block."""
from typing import Optional

import torch
from mmseg.models.decode_heads.fcn_head import FCNHead
from torch import Tensor

from mmattn.registry import MODELS
from ..builder import build_block


@MODELS.register_module()
class AttentionHead(FCNHead):
    """FCN head with an attention block after its first conv.

    ``conv (in_channels -> channels) -> block × recurrence -> conv ->
    [concat the input, conv] -> cls``: mmseg's ``NLHead``, ``GCHead``,
    ``CCHead`` and ``DNLHead`` with the block left open. The block runs
    ``recurrence`` times with the same weights (CCNet's R = 2); the two
    convs (``convs.0``, ``convs.1``), ``conv_cat`` and ``conv_seg`` are
    those of ``FCNHead(num_convs=2)``, so a NonLocal ``AttentionHead`` has
    the parameters of ``NLHead`` with ``nl_block`` named ``block``. With
    ``num_convs=1`` there is no conv after the block: ``conv -> block ->
    cls`` (with ``concat_input=False``) is mmseg's ``OCRHead`` with
    ``bottleneck`` named ``convs.0`` and ``object_context_block`` named
    ``block``, an :class:`~mmattn.models.attention.ocr.OCR` block (which
    makes its soft object regions itself).

    The block is any registered mmattn block,
    ``block=dict(type='mmattn.CrissCross')`` (a bare ``'CrissCross'`` is
    read as ``'mmattn.CrissCross'``), and is built from mmattn's registry,
    so it resolves under mmseg's scope. The head fills in:

    - ``in_channels``: the head's ``channels``; a different value in
      ``block`` is an error;
    - ``norm_cfg``: the head's, if the block takes one and ``block`` does
      not set it (mmseg's ``NLHead`` passes its ``norm_cfg`` to
      ``NonLocal2d`` the same way).

    Args:
        block (dict): Config of the attention block.
        recurrence (int): Times the block is applied. Defaults to 1.
        low_index (int, optional): Index of a backbone output passed to the
            block as its second input, for blocks that fuse two levels
            (ANN's ``AFNB(x, low)``: ``low_index=2`` with
            ``block=dict(type='mmattn.AFNB', low_channels=1024)`` fuses res4
            into the reduced res5). Defaults to None.
        **kwargs: ``FCNHead`` / ``BaseDecodeHead`` arguments
            (``in_channels``, ``channels``, ``num_classes``,
            ``concat_input``, ``kernel_size``, ``norm_cfg``...);
            ``num_convs`` is 2 (the default; mmseg's FCN-D8 model base sets
            it) or 1.

    Example:
        >>> head = AttentionHead(
        ...     block=dict(type='mmattn.GlobalContext', ratio=1 / 4),
        ...     in_channels=64, channels=16, num_classes=3)
        >>> head([torch.randn(2, 64, 9, 9)]).shape
        torch.Size([2, 3, 9, 9])
    """

    def __init__(self,
                 block: dict,
                 recurrence: int = 1,
                 low_index: Optional[int] = None,
                 **kwargs):
        if kwargs.setdefault('num_convs', 2) not in (1, 2):
            raise ValueError(f'AttentionHead has num_convs=2 (conv, block, '
                             f'conv) or 1 (conv, block); got '
                             f'num_convs={kwargs["num_convs"]!r}')
        if not isinstance(recurrence, int) or recurrence < 1:
            raise ValueError(f'recurrence must be a positive int, '
                             f'got {recurrence!r}')
        super().__init__(**kwargs)
        self.recurrence, self.low_index = recurrence, low_index
        self.block = build_block(block, self.channels, self.norm_cfg)

    def forward(self, inputs) -> Tensor:
        x = self._transform_inputs(inputs)
        extra = () if self.low_index is None else (inputs[self.low_index], )
        output = self.convs[0](x)
        for _ in range(self.recurrence):
            output = self.block(output, *extra)
        if self.num_convs == 2:
            output = self.convs[1](output)
        if self.concat_input:
            output = self.conv_cat(torch.cat([x, output], dim=1))
        return self.cls_seg(output)
