import os.path as osp

import pytest
from analysis_tools import load, markdown_rows

from mmattn.models.attention import registered_blocks

zoo = load('zoo')
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_every_registered_block_is_in_the_generated_tables():
    outputs = zoo.render(zoo.load_cache())
    doc = outputs[zoo.osp.join(zoo.ROOT, 'docs', 'zoo.md')]
    table = doc.split('## Attention blocks\n\n')[1].split('\n\n')[0]
    names = [r[0] for r in markdown_rows(table)]
    assert names == [f'`{name}`' for name in registered_blocks()]
    for name, cls in registered_blocks().items():
        assert f'`{name}`' in doc and cls.paper.url in doc
    for folder in zoo.all_folders():  # and in its folder's README
        readme = outputs[zoo.osp.join(zoo.ROOT, folder.readme)]
        rows = markdown_rows(readme.split('\n\n')[0]) if folder.blocks \
            else []
        assert [r[0] for r in rows] == [f'`{b}`' for b in folder.blocks]


def test_rows_show_measurements_from_the_cache():
    name, second = list(registered_blocks())[:2]
    cache = dict(
        hosts={h: dict(model=dict(params=4e7, flops=2e11), shape=[8, 8])
               for h in zoo.HOSTS},
        blocks={name: {'mask-rcnn': dict(params=2e6, flops=1e9, config=None),
                       'upernet': dict(params=2e6, flops=4e9,
                                       config='configs/se/x.py'),
                       'latency': dict(plain=1., block=1.25, ratio=1.25)}})
    cache['blocks'][second] = {'mask-rcnn': dict(params=-4e6, flops=-2e9,
                                                 config='x.py', part='model')}
    rows = markdown_rows(zoo.block_table(registered_blocks(), cache))
    assert rows[0][3:8] == ['+2.00M (5.0%) †', '+1.00G (0.5%) †',
                            '+2.00M (5.0%)', '+4.00G (2.0%)', '1.25×']
    assert rows[1][3:8] == ['−4.00M (10.0%) *', '−2.00G (1.0%) *'] + [
        '–'] * 3  # replaces parts; UperNet not measured
    assert rows[2][3:8] == ['–'] * 5  # not measured


def test_placement_follows_the_repo_configs():
    kind, plugins, source = zoo.placement('GlobalContext', 'mask-rcnn')
    assert kind == 'plugins' and source.endswith(
        'mask-rcnn_r50-gcb-r16-c3-c5_fpn_1x_coco.py')
    assert plugins[0]['cfg']['type'] == 'mmattn.GlobalContext'
    # no UperNet config: the backbone plug-ins of the Mask R-CNN one
    assert zoo.placement('GlobalContext', 'upernet')[2] == source
    # a block outside the backbone: the whole config is measured
    kind, path, source = zoo.placement('NonLocal', 'mask-rcnn')
    assert kind == 'config' and 'nl' in source
    # only a neck config for the other host: no placement
    assert zoo.placement('NonLocal', 'upernet') == ('none', None, source)
    # no config at all: the default placement
    kind, plugins, source = zoo.placement('PAM', 'upernet')
    assert source is None and plugins == [
        dict(cfg=dict(type='mmattn.PAM'),
             stages=(False, True, True, True), position='after_conv3')]
    # c5 only for self-attention
    assert zoo.default_plugin('NonLocal')['stages'] == (False, False, False,
                                                        True)


def test_splice_replaces_only_between_the_markers():
    text = f'# T\n\nprose\n{zoo.START}\nold\n{zoo.END}\nmore prose\n'
    assert zoo.splice(text, 'new') == \
        f'# T\n\nprose\n{zoo.START}\nnew\n{zoo.END}\nmore prose\n'
    assert zoo.splice('no markers', 'new') is None


def test_check_mode_writes_nothing(tmp_path, monkeypatch):
    readme = tmp_path / 'README.md'
    readme.write_text(f'{zoo.START}\nstale\n{zoo.END}\n')
    monkeypatch.setattr(zoo, 'render', lambda cache: {str(readme): 'fresh'})
    assert zoo.write({}, check=True) == [str(readme)]
    assert 'stale' in readme.read_text()
    assert zoo.write({}) == [str(readme)]
    assert readme.read_text() == f'{zoo.START}\nfresh\n{zoo.END}\n'
    assert zoo.write({}, check=True) == []
    assert zoo.write({}, docs_only=True) == []  # only docs/zoo.md


@pytest.mark.parametrize('config, shape', [
    ('mobilenet_v2/ssdlite_mobilenet-v2-ca_8xb24-600e_coco.py', (320, 320)),
    ('van/mask-rcnn_van-b0_fpn_1x_coco.py', (800, 1333)),
    ('van/upernet_van-b0_4xb4-160k_ade20k-512x512.py', (512, 512))])
def test_models_are_measured_at_their_input_size(config, shape):
    from mmattn.analysis import load_config
    assert zoo.input_shape(load_config(f'{REPO}/configs/{config}')) == shape
