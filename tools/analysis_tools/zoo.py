"""Regenerate the model-zoo tables from the registry and measurements.

    python tools/analysis_tools/zoo.py              # tables from docs/zoo.json
    python tools/analysis_tools/zoo.py --measure    # measure what is missing first
    python tools/analysis_tools/zoo.py --measure --remeasure LKA VAN  # again
    python tools/analysis_tools/zoo.py --check      # exit 1 if a file is stale

Writes ``docs/zoo.md`` and the tables between ``<!-- zoo:start -->`` and
``<!-- zoo:end -->`` in ``configs/attention/README.md``,
``configs/van/README.md`` and ``configs/conv2former/README.md``. Never edit
those tables by hand.

What is in them:

- every registered attention block (``registered_blocks()``) with its paper;
  params and FLOPs it adds to the R50 backbone of Mask R-CNN (mmdet ResNet,
  800×1333, padded to 800×1344) and of UperNet (mmseg ResNetV1c, 512×512),
  as a share of the whole detector / segmentor; the CPU latency of the
  UperNet backbone with the block over the plain one at 1×3×512×512 (median
  of interleaved runs); and the gain the paper reports (``Paper.reported``).
  The block sits where the repo's Mask R-CNN / UperNet config of that block
  puts it (``configs/attention``; for UperNet, the backbone plug-ins of the
  Mask R-CNN config if there is no UperNet one), else after conv3 of every
  bottleneck in c3-c5 (GCNet's placement; c5 only for self-attention),
  marked †. A config that
  puts the block outside the backbone (e.g. ``mmattn.AttentionNeck``) is
  measured as a whole model minus the plain one, marked *.
- every config in ``configs/van/metafile.yml`` and
  ``configs/conv2former/metafile.yml``: params and FLOPs of the whole model
  at its paper resolution, and the metrics the metafile lists.

Measurements are cached in ``docs/zoo.json`` (committed) so that tables can
be regenerated in seconds; ``--measure`` fills what is missing (about a
quarter of a minute per block on 2 quiet cores). Read the latency ratios,
not the absolute times.
"""
import argparse
import glob
import json
import os.path as osp
import re
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CACHE = osp.join(ROOT, 'docs', 'zoo.json')
START, END = '<!-- zoo:start -->', '<!-- zoo:end -->'
BACKBONE_FOLDERS = ('van', 'conv2former')
HOSTS = {
    # name: (backbone dict, whole-model base config, input H W)
    'mask-rcnn': (dict(type='mmdet.ResNet', depth=50, norm_eval=True,
                       style='pytorch', norm_cfg=dict(type='BN')),
                  'mmdet::_base_/models/mask-rcnn_r50_fpn.py', (800, 1333)),
    'upernet': (dict(type='mmattn.ResNetV1c', depth=50, norm_eval=False,
                     style='pytorch', dilations=(1, 1, 1, 1),
                     strides=(1, 2, 2, 2), norm_cfg=dict(type='BN')),
                'mmseg::_base_/models/upernet_r50.py', (512, 512)),
}
LATENCY_SHAPE = (512, 512)
# (block, host): why it is not measured
NOT_MEASURED = {
    ('SASA', 'mask-rcnn'): 'SASA in every bottleneck at 800×1333 needs '
    'more than the 24 GB of the machine the zoo is measured on',
}


# ----------------------------------------------------------------- measure
def _configs_with(name, host):
    """The repo's (non-toy) configs for ``host`` that use the block."""
    found = []
    for path in sorted(glob.glob(osp.join(ROOT, 'configs', 'attention',
                                          f'{host}_*.py'))):
        if 'toy' not in osp.basename(path) and \
                re.search(rf"""['"]mmattn\.{name}['"]""", open(path).read()):
            found.append(path)
    return found


def _plugins_of(path, name):
    from mmengine.config import Config
    plugins = Config.fromfile(path).model.backbone.get('plugins') or []
    if any(p['cfg']['type'] == f'mmattn.{name}' for p in plugins):
        return [p.to_dict() for p in plugins]
    return None


def placement(name, host):
    """Where the block goes in ``host``: ``(kind, what, source)``.

    - ``('plugins', plugins, config)``: backbone plug-ins of the repo's
      config of the block for this host, or else for the other host;
    - ``('config', path, path)``: the repo's config for this host puts the
      block elsewhere (a neck, a head): the whole model is measured;
    - ``('none', None, path)``: only the other host has a config, and it
      puts the block outside the backbone: not measured;
    - ``('plugins', default, None)``: no config; the default placement.
    """
    elsewhere = None
    for other in [host] + [h for h in HOSTS if h != host]:
        for path in _configs_with(name, other):
            plugins = _plugins_of(path, name)
            if plugins:
                return 'plugins', plugins, osp.relpath(path, ROOT)
            if other == host:
                return 'config', path, osp.relpath(path, ROOT)
            elsewhere = elsewhere or osp.relpath(path, ROOT)
    if elsewhere:
        return 'none', None, elsewhere
    return 'plugins', [default_plugin(name)], None


def default_plugin(name):
    """After conv3 of every c3-c5 bottleneck (GCNet's placement); c5 only
    for self-attention, whose cost grows with the square of the positions."""
    from mmattn.models.attention import registered_blocks
    paper = registered_blocks()[name].paper
    stages = (False, False, False, True) if paper and \
        paper.family == 'self-attention' else (False, True, True, True)
    return dict(cfg=dict(type=f'mmattn.{name}'), stages=stages,
                position='after_conv3')


def _backbone(host, plugins=None):
    from mmattn.analysis import build_model, load_config
    cfg = dict(HOSTS[host][0])
    if plugins:
        cfg['plugins'] = plugins
    return build_model(load_config(cfg))


def _host_model(host):
    import tempfile
    from mmattn.analysis import build_model, load_config
    base_cfg = HOSTS[host][1]
    with tempfile.NamedTemporaryFile('w', suffix='.py') as f:
        f.write(f"_base_ = '{base_cfg}'\n"
                f"default_scope = '{base_cfg.split(':')[0]}'\n")
        if host == 'upernet':
            f.write('model = dict(pretrained=None)\n')
        f.flush()
        return build_model(load_config(f.name))


def _count(model, shape):
    from mmattn.analysis import complexity, dummy_batch
    result = complexity(model, dummy_batch(model, shape))
    return dict(params=result['params'], flops=result['flops'])


def _pad(shape, divisor=32):
    return tuple(-(-s // divisor) * divisor for s in shape)


def measure_host(host):
    """Whole model and bare backbone of a host, without any block."""
    shape = HOSTS[host][2]
    return dict(model=_count(_host_model(host), shape),
                backbone=_count(_backbone(host), _pad(shape)),
                shape=list(shape))


def _latency(plain, model, warmup, repeats):
    """Median seconds of ``plain`` and ``model`` at LATENCY_SHAPE, measured
    interleaved."""
    import torch
    from mmattn.analysis import dummy_batch, forward_fn
    from mmattn.benchmark import compare
    batch = dummy_batch(plain, LATENCY_SHAPE)
    with torch.no_grad():
        res = compare({'plain': forward_fn(plain, batch, mode='tensor'),
                       'block': forward_fn(model, batch, mode='tensor')},
                      warmup=warmup, repeats=repeats, memory=False)
    return dict(plain=res[0].median, block=res[1].median,
                ratio=res[1].median / res[0].median)


def measure_block(name, hosts, warmup=1, repeats=3):
    """Params and FLOPs a block adds to each host, and the CPU latency of
    UperNet's backbone (or whole model, for a block outside the backbone)
    with the block over without it."""
    from mmattn.analysis import build_model, load_config
    entry = {}
    for host, base in hosts.items():
        kind, what, source = placement(name, host)
        if (name, host) in NOT_MEASURED:
            entry[host] = dict(error=NOT_MEASURED[name, host])
            continue
        if kind == 'none':
            entry[host] = dict(error=f'no placement: {source} puts it '
                               f'outside the backbone')
            continue
        part = 'backbone' if kind == 'plugins' else 'model'
        try:
            if kind == 'plugins':
                model = _backbone(host, what)
            else:
                model = build_model(load_config(what))
        except Exception as error:  # e.g. a block that is not a plug-in
            entry[host] = dict(error=f'{type(error).__name__}: {error}'[:200])
            continue
        shape = _pad(HOSTS[host][2]) if part == 'backbone' else HOSTS[host][2]
        counted = _count(model, shape)
        entry[host] = dict(
            params=counted['params'] - base[part]['params'],
            flops=counted['flops'] - base[part]['flops'],
            config=source, part=part)
        if host == 'upernet':
            plain = _backbone(host) if part == 'backbone' else \
                _host_model(host)
            entry['latency'] = dict(_latency(plain, model, warmup, repeats),
                                    part=part)
    return entry


def measure_config(path):
    """Params and FLOPs of a whole model at its paper resolution."""
    from mmattn.analysis import build_model, load_config
    cfg = load_config(path)
    shape = (800, 1333) if cfg.get('default_scope') == 'mmdet' else \
        tuple(cfg.get('crop_size', (512, 512)))
    return dict(_count(build_model(cfg), shape), shape=list(shape))


# ------------------------------------------------------------------ render
def _fmt(n, unit=''):
    from mmattn.analysis import format_count
    return '–' if n is None else format_count(n, unit)


def _metafile_models(folder):
    import yaml
    path = osp.join(ROOT, 'configs', folder, 'metafile.yml')
    if not osp.isfile(path):
        return []
    with open(path) as f:
        return (yaml.safe_load(f) or {}).get('Models', [])


def _results_text(model):
    parts = []
    for r in model.get('Results') or []:
        metrics = ', '.join(f'{k} {v}'
                            for k, v in r.get('Metrics', {}).items())
        parts.append(f"{r.get('Dataset', '')}: {metrics}")
    return '; '.join(parts)


def block_table(blocks, cache):
    hosts = cache.get('hosts', {})
    head = ['block', 'paper', 'family', '+params Mask R-CNN',
            '+FLOPs Mask R-CNN', '+params UperNet', '+FLOPs UperNet',
            'CPU latency, R50 at 512²', 'paper reports']
    rows = []
    for name, cls in blocks.items():
        paper = cls.paper
        m = cache.get('blocks', {}).get(name, {})
        cells = [f'`{name}`',
                 f'[{paper.title}]({paper.url}) ({paper.year})' if paper
                 else '', paper.family if paper else '']
        for host in HOSTS:
            entry = m.get(host)
            total = hosts.get(host, {}).get('model', {})
            if entry is None or 'error' in entry:
                cells += ['–', '–'] if entry is None else ['n/a', 'n/a']
                continue
            mark = ' †' if not entry.get('config') else \
                ' *' if entry.get('part') == 'model' else ''
            for key, unit in (('params', ''), ('flops', '')):
                share = (f" ({100 * abs(entry[key]) / total[key]:.1f}%)"
                         if total.get(key) else '')
                sign = '+' if entry[key] >= 0 else '−'
                cells.append(
                    f'{sign}{_fmt(abs(entry[key]), unit)}{share}{mark}')
        lat = m.get('latency')
        cells.append(f"{lat['ratio']:.2f}×" if lat else '–')
        cells.append((paper.reported or '').replace('|', '/') if paper else '')
        rows.append(cells)
    return _markdown(head, rows)


def config_table(folder, cache, link_prefix=''):
    head = ['config', 'params', 'FLOPs', 'input', 'paper reports']
    rows = []
    for model in _metafile_models(folder):
        config = model.get('Config', '')
        m = cache.get('configs', {}).get(config, {})
        rows.append([
            f"[{model.get('Name', config)}]"
            f"({link_prefix}{osp.basename(config)})",
            _fmt(m.get('params')), _fmt(m.get('flops')),
            '×'.join(map(str, m['shape'])) if m.get('shape') else '–',
            _results_text(model)
        ])
    return _markdown(head, rows)


def _markdown(head, rows):
    lines = ['| ' + ' | '.join(head) + ' |',
             '| ' + ' | '.join(['---'] * len(head)) + ' |']
    lines += ['| ' + ' | '.join(r) + ' |' for r in rows]
    return '\n'.join(lines)


def notes(cache):
    s = cache.get('settings', {})
    hosts = cache.get('hosts', {})
    lines = [
        'FLOPs as in mmdet/mmseg (mmengine.analysis): one multiply-add is '
        'one FLOP. "+" columns: what the block adds to the R50 backbone, '
        'and its share of the whole model '
        + ', '.join(f"({h}: {_fmt(v['model']['params'])} params, "
                    f"{_fmt(v['model']['flops'])} FLOPs at "
                    f"{'×'.join(map(str, v['shape']))})"
                    for h, v in hosts.items()) + '.',
        'The block sits as in its config in configs/attention for that host '
        '(for UperNet, the backbone plug-ins of its Mask R-CNN config where '
        'it has no UperNet config); † no config: after conv3 of every '
        'bottleneck in c3-c5 (self-attention: c5 only); * the config puts '
        'the block outside the '
        'backbone (a neck): whole model minus the plain one; n/a: its only '
        'config puts it outside the backbone of the other model, or (SASA '
        'in Mask R-CNN) it did not fit in memory.',
        'CPU latency: UperNet\'s ResNetV1c-50 backbone (* whole model) with '
        'the block over without it, 1×3×512×512, median of interleaved runs '
        f"({s.get('cpu', '?')}, {s.get('threads', '?')} threads, "
        f"torch {s.get('torch', '?')}"
        + (f", load average {s['load_average']:.1f} when measured"
           if 'load_average' in s else '')
        + '). Read the ratios; differences of a few percent are within '
        'run-to-run noise. `zoo.py --remeasure NAME` measures again.',
    ]
    return '\n'.join(f'- {line}' for line in lines)


def render(cache):
    """``{path: text}`` of every generated table (README sections and the
    whole docs/zoo.md)."""
    from mmattn.models.attention import registered_blocks
    blocks = registered_blocks()
    tables = {'attention': block_table(blocks, cache) + '\n\n' + notes(cache)}
    for folder in BACKBONE_FOLDERS:
        tables[folder] = config_table(folder, cache)
    doc = ['# Model zoo', '',
           'Generated by `python tools/analysis_tools/zoo.py` from the registry, '
           'the metafiles and `docs/zoo.json`; do not edit by hand.', '',
           '## Attention blocks', '', tables['attention'], '']
    for folder in BACKBONE_FOLDERS:
        doc += [f'## {folder}', '',
                config_table(folder, cache, f'../configs/{folder}/'), '']
    out = {osp.join(ROOT, 'docs', 'zoo.md'): '\n'.join(doc)}
    for folder, table in tables.items():
        out[osp.join(ROOT, 'configs', folder, 'README.md')] = table
    return out


def splice(text, table):
    """Replace what is between the markers in ``text`` with ``table``."""
    if START not in text or END not in text:
        return None
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f'{head}{START}\n{table}\n{END}{tail}'


def write(cache, check=False, docs_only=False):
    """Write (or with ``check`` compare) every output, or only docs/zoo.md;
    returns the stale paths."""
    stale = []
    for path, table in render(cache).items():
        if docs_only and not path.endswith('zoo.md'):
            continue
        if path.endswith('zoo.md'):
            new = table
        elif not osp.isfile(path):
            print(f'skip {osp.relpath(path, ROOT)}: no such file')
            continue
        else:
            new = splice(open(path).read(), table)
            if new is None:
                print(f'skip {osp.relpath(path, ROOT)}: no zoo markers')
                continue
        old = open(path).read() if osp.isfile(path) else None
        if old != new:
            stale.append(path)
            if not check:
                with open(path, 'w') as f:
                    f.write(new)
    return stale


# -------------------------------------------------------------------- main
def load_cache():
    if osp.isfile(CACHE):
        with open(CACHE) as f:
            return json.load(f)
    return {}


def measure(cache, remeasure=()):
    from mmattn.benchmark import machine
    from mmattn.models.attention import registered_blocks
    cache.setdefault('settings', {}).update(machine())
    hosts = cache.setdefault('hosts', {})
    for host in HOSTS:
        if host not in hosts or 'hosts' in remeasure:
            print(f'measuring host {host}', flush=True)
            hosts[host] = measure_host(host)
            _save(cache)
    blocks = cache.setdefault('blocks', {})
    for name in registered_blocks():
        if name not in blocks or name in remeasure:
            print(f'measuring block {name}', flush=True)
            blocks[name] = measure_block(name, hosts)
            _save(cache)
    configs = cache.setdefault('configs', {})
    for folder in BACKBONE_FOLDERS:
        for model in _metafile_models(folder):
            config = model.get('Config')
            key = osp.splitext(osp.basename(config or ''))[0]
            if config and (config not in configs or key in remeasure
                           or folder in remeasure):
                print(f'measuring {config}', flush=True)
                configs[config] = measure_config(osp.join(ROOT, config))
                _save(cache)
    return cache


def _save(cache):
    with open(CACHE, 'w') as f:
        json.dump(cache, f, indent=1, sort_keys=True)
        f.write('\n')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--measure', action='store_true',
                        help='measure what docs/zoo.json lacks')
    parser.add_argument('--remeasure', nargs='*', default=[],
                        help='block names, config names, a folder or "hosts"')
    parser.add_argument('--check', action='store_true',
                        help='write nothing; exit 1 if a table is stale')
    parser.add_argument('--docs-only', action='store_true',
                        help='write docs/zoo.md only, not the READMEs')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cache = load_cache()
    if args.measure or args.remeasure:
        import torch
        torch.manual_seed(0)
        cache = measure(cache, set(args.remeasure))
    stale = write(cache, check=args.check, docs_only=args.docs_only)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'} "
              f'{osp.relpath(path, ROOT)}')
    if args.check and stale:
        sys.exit(1)


if __name__ == '__main__':
    main()
