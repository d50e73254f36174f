"""mmattn necks."""
from .attention_neck import AttentionNeck

__all__ = ['AttentionNeck']
