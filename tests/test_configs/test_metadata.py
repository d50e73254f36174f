"""One source of truth for the zoo's metadata: regenerated in memory from
the Paper records, the configs, the metafiles' Results and docs/zoo.json
(``tools/analysis_tools/zoo.py --check``, nothing measured), every metafile,
README table, the model index and docs/zoo.md equal the files on disk; and
the module docstrings and the READMEs' paper lines agree with the records.
"""
import dataclasses
import glob
import os.path as osp
import re

import pytest
from conftest import load_analysis_tool

from mmattn.models.attention import registered_blocks
from mmattn.models.attention.lka import LKA
from mmattn.models.attention.se import SE

zoo = load_analysis_tool('zoo')


@pytest.fixture
def fresh_folders():
    """Folders read afresh (they are cached), before and after the test."""
    zoo.method_folder.cache_clear()
    yield
    zoo.method_folder.cache_clear()


def test_generated_files_are_up_to_date():
    stale = zoo.write(zoo.load_cache(), check=True)
    assert stale == [], \
        f'stale: {stale}; run python tools/analysis_tools/zoo.py'


def test_records_docstrings_and_readmes_agree():
    assert zoo.disagreements() == []


def test_a_changed_record_shows_in_every_file(fresh_folders, monkeypatch):
    paper = dataclasses.replace(SE.paper, title='Squeeze Networks',
                                url='https://arxiv.org/abs/0000.00000')
    monkeypatch.setattr(SE, 'paper', paper)
    stale = {zoo._rel(p) for p in zoo.write(zoo.load_cache(), check=True)}
    assert {'configs/se/metafile.yml', 'docs/zoo.md'} <= stale
    problems = '\n'.join(zoo.disagreements())
    assert 'mmattn.models.attention.se: the module docstring' in problems
    assert 'configs/se/README.md: no line "> [Squeeze Networks]' in problems


def test_results_keep_their_source_and_their_config(monkeypatch):
    results = {'mask-rcnn_r50-se-r16-c3-c5_fpn_1x_coco': [
        dict(Metrics={'box AP': 1.0})], 'gone_1x_coco': [
            dict(Metrics={'box AP': 1.0}, Source='a paper')]}
    monkeypatch.setattr(zoo, 'hand_results',
                        lambda folder: results if folder == 'se' else {})
    problems = zoo.disagreements()
    assert ('configs/se/metafile.yml: a result of '
            'mask-rcnn_r50-se-r16-c3-c5_fpn_1x_coco names no Source'
            ) in problems
    assert any('Results of gone_1x_coco, which is no config' in p
               for p in problems)


def test_a_folder_is_the_paper_its_configs_share():
    danet = zoo.method_folder('danet')
    assert (danet.title, danet.classes, danet.blocks) == \
        ('DANet', ('DANet', ), ('CAM', 'DANet', 'PAM'))
    assert not danet.is_backbone
    van = zoo.method_folder('van')  # the backbone takes LKA's record
    assert (van.paper, van.classes, van.blocks) == (LKA.paper, ('VAN', ),
                                                    ('LKA', ))
    assert van.is_backbone
    homes = [f.name for f in zoo.all_folders() for b in f.blocks]
    assert sorted(b for f in zoo.all_folders() for b in f.blocks) == \
        sorted(registered_blocks())  # every block in exactly one folder
    assert len(homes) == len(registered_blocks())
    assert 'toy' not in zoo.method_folders()


def test_metafiles_name_the_paper_and_the_code():
    import yaml
    for folder in zoo.all_folders():
        with open(zoo.osp.join(zoo.ROOT, folder.metafile)) as f:
            (collection, ) = yaml.safe_load(f)['Collections']
        assert collection['Paper'] == dict(Title=folder.paper.title,
                                           URL=folder.paper.url)
        assert collection['README'] == folder.readme
        assert zoo.osp.isfile(zoo.osp.join(zoo.ROOT,
                                           collection['Code']['URL']))


def test_config_names_give_the_metadata():
    assert zoo.name_metadata('upernet_van-b4_8xb4-160k_ade20k-512x512.py') \
        == {'Training Data': 'ADE20K', 'Iterations': 160000,
            'Batch Size': 32}
    assert zoo.name_metadata('mask-rcnn_r50_fpn_ms-crop-3x_coco.py') == \
        {'Training Data': 'COCO', 'Epochs': 36}
    assert zoo.name_devices('mask-rcnn_r50_fpn_1x_coco.py') is None
    with pytest.raises(ValueError, match="unknown data set 'lvis'"):
        zoo.name_metadata('mask-rcnn_r50_fpn_1x_lvis.py')
    with pytest.raises(ValueError, match='no schedule'):
        zoo.name_metadata('mask-rcnn_r50_fpn_coco.py')


def test_titles_compare_as_typeset():
    assert zoo.plain('A²-Nets:  Double\n    Attention') == \
        zoo.plain('A^2-Nets: Double Attention')
    assert zoo.plain('`SRM`') == 'SRM'


def _anchors(path):
    """GitHub's anchors of the headings of a markdown file."""
    anchors, fenced = set(), False
    for line in open(path):
        fenced ^= line.startswith('```')
        if not fenced and line.startswith('#'):
            title = line.lstrip('#').strip().lower()
            anchors.add(re.sub(r'[^\w\- ]', '', title).replace(' ', '-'))
    return anchors


def test_relative_links_in_the_docs_resolve():
    """Links between the READMEs and docs (moved files break them)."""
    files = [osp.join(zoo.ROOT, 'README.md')] + sorted(
        glob.glob(osp.join(zoo.ROOT, 'docs', '*.md'))
        + glob.glob(osp.join(zoo.ROOT, 'configs', '*', 'README.md')))
    broken = []
    for path in files:
        text = re.sub(r'```.*?```|`[^`\n]*`', '', open(path).read(),
                      flags=re.S)  # code is not a link
        for target in re.findall(r'\]\(([^)\s]+)\)', text):
            if re.match(r'[a-z]+:', target):
                continue  # a URL
            name, _, anchor = target.partition('#')
            linked = osp.normpath(osp.join(osp.dirname(path), name)) \
                if name else path
            if not osp.exists(linked) or anchor and linked.endswith(
                    '.md') and anchor not in _anchors(linked):
                broken.append(f'{zoo._rel(path)}: {target}')
    assert broken == []
