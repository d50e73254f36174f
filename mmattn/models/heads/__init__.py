"""mmattn heads."""
from .attention_head import AttentionHead

__all__ = ['AttentionHead']
