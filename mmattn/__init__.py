"""mmattn: visual attention blocks and attention backbones for OpenMMLab."""
import os.path as osp

from .checkpoint import install_mmengine_loader

__version__ = '0.1.0'


def _resolve_mmattn_configs():
    """Make ``_base_ = 'mmattn::van/...'`` resolve, and build under the
    host's scope, once mmattn is imported (the tools import it before they
    read a config).

    - mmengine 0.10.7 resolves only the packages in its ``MODULE2PACKAGE``,
      and finds them through the distribution's location, which is wrong for
      PEP 660 editable installs; for mmattn it is this directory, whose
      ``.mim/`` setup.py fills with configs/ and tools/.
    - mmengine tags every typed dict inherited through ``pkg::`` with
      ``_scope_='pkg'``. mmattn's configs are mmdet and mmseg configs (their
      mmattn types carry the ``mmattn.`` prefix), so an ``mmattn::`` base is
      read as a local base: its dicts keep the scopes of the host bases they
      come from and otherwise build under the config's ``default_scope``.
    """
    from mmengine.config import Config, config
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault('mmattn', 'mmattn')
    find, cfg_path = config.get_installed_path, Config._get_cfg_path
    if getattr(find, 'knows_mmattn', False):
        return

    def get_installed_path(package):
        if package == 'mmattn':
            return osp.dirname(osp.abspath(__file__))
        return find(package)

    def get_cfg_path(path, filename):
        path, scope = cfg_path(path, filename)
        return path, None if scope == 'mmattn' else scope

    get_installed_path.knows_mmattn = True
    config.get_installed_path = get_installed_path
    Config._get_cfg_path = staticmethod(get_cfg_path)


_resolve_mmattn_configs()

# Local checkpoints load with weights_only=True, the allowlist and clear
# errors, wherever mmengine loads them (load_from, resume, Pretrained).
install_mmengine_loader()
