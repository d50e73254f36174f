"""Every config of the self-attention methods (DNL, GloRe, HamNet, OCRNet,
LR-Net, SAN) builds its model and runs one test-mode forward on a small
image (:func:`config_forward.forward_once`): a Mask R-CNN R50-FPN 1x COCO
config and an AttentionHead R50-D8 80k ADE20K config in each method's
folder, which also holds a README and a metafile naming every config under
its blocks' paper."""
import os.path as osp

import pytest
import yaml
from config_forward import REPO, config_folder, forward_once
from mmengine.config import Config

from mmattn.models.attention import registered_blocks

FOLDERS = ('dnlnet', 'glore', 'hamnet', 'ocrnet', 'lrnet', 'san')
CONFIGS = [(folder, name) for folder in FOLDERS
           for name in config_folder(folder)[1]]


@pytest.mark.parametrize('folder', FOLDERS)
def test_each_method_has_both_hosts_a_readme_and_a_metafile(folder):
    path, names = config_folder(folder)
    assert any(n.startswith('mask-rcnn_r50-') for n in names), names
    assert any(n.startswith('attention-head-') for n in names), names
    with open(osp.join(path, 'metafile.yml')) as f:
        metafile = yaml.safe_load(f)
    (collection, ) = metafile['Collections']
    blocks = collection['Metadata']['Architecture']
    for block in blocks:
        paper = registered_blocks()[block].paper
        assert collection['Paper'] == dict(Title=paper.title, URL=paper.url)
    with open(osp.join(path, 'README.md')) as f:
        readme = f.read().splitlines()
    assert readme[0] == f"# {collection['Name']}"
    assert f"> [{paper.title}]({paper.url})" in readme
    assert '<!-- zoo:start -->' in readme and '<!-- zoo:end -->' in readme
    models = metafile['Models']
    assert sorted(m['Config'] for m in models) == \
        sorted(f'configs/{folder}/{n}' for n in names)
    for model in models:
        assert model['In Collection'] == collection['Name']
        with open(osp.join(REPO, model['Config'])) as f:
            text = f.read()
        assert any(f"'mmattn.{block}'" in text for block in blocks)
        assert all(r['Source'] for r in model.get('Results', []))


@pytest.mark.slow
@pytest.mark.parametrize('folder, name', CONFIGS)
def test_config_builds_and_runs_a_forward(folder, name):
    cfg = Config.fromfile(osp.join(config_folder(folder)[0], name))
    forward_once(cfg, shape=(96, 128))
