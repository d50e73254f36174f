"""mmattn: visual attention blocks and attention backbones for OpenMMLab."""
__version__ = '0.1.0'
