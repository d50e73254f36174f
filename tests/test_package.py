"""Packaging: ``mmattn::`` config references resolve (mim layout), the model
index names every metafile, and the install script is idempotent."""
import glob
import os.path as osp
import subprocess

import yaml
from conftest import REPO
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
