"""mmattn: visual attention blocks and attention backbones for OpenMMLab."""
from .checkpoint import install_mmengine_loader

__version__ = '0.1.0'

# Local checkpoints load with weights_only=True, the allowlist and clear
# errors, wherever mmengine loads them (load_from, resume, Pretrained).
install_mmengine_loader()
