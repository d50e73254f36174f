"""Check that everything mmattn needs is installed, without importing it.

Used by ``tools/install.sh`` to make a second run take seconds; prints a
table of what it found unless ``--quiet``. Exit status 0 when complete.
"""
import argparse
import glob
import os.path as osp
import sys
from importlib.metadata import PackageNotFoundError, distribution
from importlib.util import find_spec

# (distribution, version prefix or None for any, importable module)
REQUIRED = [
    ('torch', '2.', 'torch'),
    ('mmengine', '0.10.7', 'mmengine'),
    ('mmcv', '2.1.0', 'mmcv'),
    ('mmdet', '3.3.0', 'mmdet'),
    ('mmsegmentation', '1.2.2', 'mmseg'),
    ('ftfy', None, 'ftfy'),
    ('regex', None, 'regex'),
    ('pycocotools', None, 'pycocotools'),
    ('pytest', None, 'pytest'),
    ('onnx', None, 'onnx'),
    ('onnxruntime', None, 'onnxruntime'),
    ('matplotlib', None, 'matplotlib'),
    ('scikit-image', None, 'skimage'),
    ('rich', None, 'rich'),
    ('scikit-learn', None, 'sklearn'),
    ('grad-cam', None, 'pytorch_grad_cam'),
    ('ttach', None, 'ttach'),
    ('mmattn', None, 'mmattn'),
]


def check(name, prefix, module):
    """Return (ok, found) for one requirement."""
    try:
        found = distribution(name).version
    except PackageNotFoundError:
        return False, 'missing'
    if prefix and not found.startswith(prefix):
        return False, f'{found} (need {prefix}*)'
    if find_spec(module) is None:
        return False, f'{found} (not importable)'
    if name == 'mmcv':
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
    ok = True
    for name, prefix, module in REQUIRED:
        if args.only and name not in args.only:
            continue
        good, found = check(name, prefix, module)
        ok &= good
        if not args.quiet:
            print(f'  {"ok " if good else "NO "} {name:<16} {found}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
