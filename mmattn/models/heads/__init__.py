"""mmattn heads."""
from .attention_head import AttentionHead
from .ssd_head import SSDHead

__all__ = ['AttentionHead', 'SSDHead']
