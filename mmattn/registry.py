"""The ``mmattn`` scope of MMEngine's registries.

Configs refer to mmattn classes with the scope prefix, ``type='mmattn.VAN'``,
so that they resolve under any host scope (``mmdet``, ``mmseg``). Inside
mmattn, build sub-modules from classes or prefixed names, never from bare
names: a bare name is looked up in whichever scope is current.
"""
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import Registry

MODELS = Registry(
    'model',
    parent=MMENGINE_MODELS,
    scope='mmattn',
    locations=['mmattn.models'])

OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMENGINE_OPTIM_WRAPPERS,
    scope='mmattn',
    locations=['mmattn.engine'])

HOOKS = Registry(
    'hook', parent=MMENGINE_HOOKS, scope='mmattn', locations=['mmattn.engine'])

#: Every registry of the ``mmattn`` scope.
REGISTRIES = (MODELS, OPTIM_WRAPPERS, HOOKS)
