"""Packaging: ``mmattn::`` config references resolve (mim layout) and train,
mim trains and tests from the installed package, the model index names every
metafile, one dependency list, and the install script is idempotent."""
import glob
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
import yaml
from conftest import REPO, last_checkpoint, run_tool, short_run
from mmengine.config import Config

import mmattn  # noqa: F401  (makes mmattn:: resolvable)


def test_mmattn_scoped_base_resolves(tmp_path):
    path = tmp_path / 'leaf.py'
    path.write_text("_base_ = 'mmattn::toy/fpn_r50_toy-ade20k.py'\n"
                    "model = dict(decode_head=dict(num_classes=5))\n")
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'mmseg'
    assert cfg.model.decode_head.num_classes == 5
    assert cfg.custom_imports.imports == ['mmattn.models']


@pytest.mark.slow
@pytest.mark.parametrize('base, metric', [
    ('toy/fpn_van-b0_toy-ade20k.py', 'mIoU'),
    ('toy/mask-rcnn_van-b0_fpn_toy-coco.py', 'coco/bbox_mAP'),
])
def test_mmattn_scoped_base_trains(toy_root, tmp_path, base, metric):
    """A user's config outside the repository whose only base is an mmattn
    config builds under the host's scope: mmengine would otherwise look the
    host's hooks, datasets and models up in mmattn's registries."""
    config = tmp_path / 'user_config.py'
    config.write_text(f"_base_ = 'mmattn::{base}'\n")
    result = run_tool('train.py', config, '--work-dir', tmp_path / 'work',
                      *short_run(2), cwd=toy_root)
    assert metric in result.output
    assert osp.isfile(last_checkpoint(tmp_path / 'work'))


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """mmattn laid out as ``pip install .`` installs it: its wheel, built
    from a copy of the sources (the build rewrites ``mmattn/.mim``) and
    unpacked into a directory for the front of PYTHONPATH."""
    root = tmp_path_factory.mktemp('installed')
    source = root / 'source'
    source.mkdir()
    for name in ('setup.py', 'MANIFEST.in', 'README.md'):
        shutil.copy2(osp.join(REPO, name), source / name)
    for name in ('requirements', 'mmattn', 'configs', 'tools'):
        shutil.copytree(osp.join(REPO, name), source / name, ignore=(
            shutil.ignore_patterns('.mim', '__pycache__')))
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps',
                    '--no-build-isolation', '--no-index', '-q', '-w',
                    str(root), str(source)], check=True, capture_output=True)
    site = root / 'site'
    with zipfile.ZipFile(next(root.glob('mmattn-*.whl'))) as wheel:
        wheel.extractall(site)
    return site


def run_mim(*args, site, cwd):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(site)] + os.environ.get('PYTHONPATH', '').split(os.pathsep)))
    result = subprocess.run([sys.executable, '-m', 'mim', *map(str, args)],
                            cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:]
    return result.stdout


@pytest.mark.slow
def test_mim_trains_and_tests_from_the_package(installed, toy_root, tmp_path):
    """``mim train mmattn CONFIG`` and ``mim test mmattn CONFIG --checkpoint``
    find the config by name and the tools in the package's ``.mim``."""
    tools = installed / 'mmattn' / '.mim' / 'tools'
    name = 'fpn_van-b0_toy-ade20k.py'
    work_dir = tmp_path / 'work'
    train = run_mim('train', 'mmattn', name, '--work-dir', work_dir,
                    *short_run(2), site=installed, cwd=toy_root)
    assert f'Training command is {sys.executable} {tools}/train.py' in train
    assert 'mIoU' in train
    test = run_mim('test', 'mmattn', name, '--checkpoint',
                   last_checkpoint(work_dir), '--work-dir', tmp_path / 'test',
                   site=installed, cwd=toy_root)
    assert f'Testing command is {sys.executable} {tools}/test.py' in test
    assert re.search(r'mIoU: [0-9.]+', test)


def test_model_index_lists_every_metafile():
    with open(osp.join(REPO, 'configs', 'model-index.yml')) as f:
        listed = set(yaml.safe_load(f)['Import'])
    present = {osp.relpath(p, REPO)
               for p in glob.glob(osp.join(REPO, 'configs/*/metafile.yml'))}
    assert listed == present
    mim = osp.join(REPO, 'mmattn', '.mim')
    for path in listed:  # as mmengine reads them, through .mim/
        with open(osp.join(mim, path)) as f:
            assert yaml.safe_load(f)['Models']


def test_install_script_is_idempotent():
    """Run again (the suite runs after it), it installs nothing: it checks
    the installed versions without importing them and stops."""
    result = subprocess.run(['bash', osp.join(REPO, 'tools', 'install.sh')],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == '[install] everything is installed; nothing to do'
    assert not any('installing' in line for line in lines)
    assert result.stderr == ''
