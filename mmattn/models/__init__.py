"""Importing this package registers every mmattn model into ``MODELS``."""
from . import attention, backbones, heads, necks  # noqa: F401
