"""Check that everything mmattn needs is installed, without importing it.

The requirements are the lists in ``requirements/*.txt``, which setup.py and
``tools/install.sh`` read too. Used by ``tools/install.sh`` to make a second
run take seconds; prints a table of what it found unless ``--quiet``. Exit
status 0 when complete.
"""
import argparse
import glob
import os.path as osp
import sys
from importlib.metadata import (PackageNotFoundError, distribution,
                                packages_distributions)
from importlib.util import find_spec

try:
    from packaging.requirements import Requirement
except ImportError:  # a fresh environment: pip's copy
    from pip._vendor.packaging.requirements import Requirement

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: The lists tools/install.sh installs, in its order.
LISTS = ('runtime', 'mminstall', 'tests', 'analysis', 'mim', 'no_deps')


def read_requirements(name):
    """The requirements of ``requirements/<name>.txt``."""
    with open(osp.join(ROOT, 'requirements', f'{name}.txt')) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [Requirement(line) for line in lines if line]


def requirements():
    """Every requirement of :data:`LISTS`, then mmattn itself."""
    found = [req for name in LISTS for req in read_requirements(name)]
    return found + [Requirement('mmattn')]


def check(requirement, modules):
    """Return (ok, found) for one requirement.

    Args:
        requirement (Requirement): what must be installed.
        modules (dict): top-level module -> distributions, as
            ``importlib.metadata.packages_distributions()``.
    """
    try:
        found = distribution(requirement.name).version
    except PackageNotFoundError:
        return False, 'missing'
    if not requirement.specifier.contains(found, prereleases=True):
        return False, f'{found} (need {requirement.specifier})'
    names = [module for module, dists in modules.items()
             if requirement.name in dists] or [requirement.name]
    if not any(find_spec(name) for name in names):
        return False, f'{found} (not importable)'
    if requirement.name == 'mmcv':
        # The compiled ops (RoIAlign, nms, ...) live in mmcv/_ext*.so.
        package_dir = osp.dirname(find_spec('mmcv').origin)
        if not glob.glob(osp.join(package_dir, '_ext*.so')):
            return False, f'{found} without compiled ops (mmcv-lite?)'
    return True, found


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--quiet', action='store_true')
    parser.add_argument('--only', nargs='+', help='distributions to check')
    args = parser.parse_args()
    modules = packages_distributions()
    ok = True
    for requirement in requirements():
        if args.only and requirement.name not in args.only:
            continue
        good, found = check(requirement, modules)
        ok &= good
        if not args.quiet:
            print(f'  {"ok " if good else "NO "} {requirement.name:<16} '
                  f'{found}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
