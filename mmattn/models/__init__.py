"""Importing this package registers every mmattn model into ``MODELS``, and
exports the public classes: ``from mmattn.models import VAN, SE``."""
from . import attention, backbones, heads, necks  # noqa: F401
from .attention import *  # noqa: F401,F403
from .backbones import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .inference import optimize_for_inference  # noqa: F401
from .necks import *  # noqa: F401,F403
