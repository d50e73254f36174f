"""Visual attention blocks, one small file per block (or per paper).

Every module in this package is imported here, so adding a block is adding a
file: its ``@MODELS.register_module()`` makes it buildable from configs as
``type='mmattn.<Name>'``, importable as ``from mmattn.models import <Name>``,
and subclassing :class:`AttentionBlock` puts it in the zoo tables and the
contract tests (``tests/test_models/test_attention``). ``docs/blocks.md``
has the contract and the checklist.
"""
import importlib
import pkgutil

from .base import AttentionBlock, Paper, registered_blocks

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f'{__name__}.{_module.name}')

# Every registered block by its name: ``from mmattn.models.attention import
# SE``.
globals().update(registered_blocks())

__all__ = ['AttentionBlock', 'Paper', 'registered_blocks',
           *registered_blocks()]
