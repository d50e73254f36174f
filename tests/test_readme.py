"""README.md is true as written.

- Its config snippets (``python`` blocks with a ``_base_``) load, name
  registered mmattn types, build and run one forward.
- Its other ``python`` blocks run.
- Every command of its ``bash`` blocks is checked: the tool or script
  exists, the configs it names exist, and the tool parses the arguments as
  given (training for hours, on GPUs or on real data is not run).
- The options of its synopses (``text`` blocks) are the tools' options, and
  every file it names or links to exists.
"""
import contextlib
import glob
import importlib.util
import io
import os.path as osp
import re
import shlex
import textwrap

import pytest
from conftest import REPO
from mmengine.config import Config
from test_configs.config_forward import forward_once

import mmattn  # noqa: F401  (mmattn:: bases)
from mmattn.runner import check_mmattn_types

README = osp.join(REPO, 'README.md')
FENCE = re.compile(r'^( *)```(\w*)\n(.*?)^\1```', re.M | re.S)


def blocks(language):
    """The bodies of the README's fenced blocks in ``language``."""
    with open(README) as f:
        text = f.read()
    return [textwrap.dedent(body) for _, lang, body in FENCE.findall(text)
            if lang == language]


def commands():
    """Every command line of the bash blocks, continuations joined."""
    for body in blocks('bash'):
        for line in body.replace('\\\n', ' ').splitlines():
            argv = shlex.split(line, comments=True)
            if argv:
                yield argv


def tool(name):
    """``tools/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(
        f'readme_{name}', osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def config_snippets():
    return [b for b in blocks('python') if re.search(r'^_base_ =', b, re.M)]


def script_snippets():
    return [b for b in blocks('python') if b not in config_snippets()]


def assert_config(path):
    assert path.endswith('.py') and osp.isfile(osp.join(REPO, path)), path


def parses(name, argv):
    """``tools/<name>.py`` accepts ``argv``; returns the namespace."""
    try:
        return tool(name).parse_args(argv)
    except SystemExit as error:
        raise AssertionError(f'tools/{name}.py rejects {argv}') from error


def by_name(name):
    """The config mim runs: a path from the repository root, or the one
    file of that name under configs/ (mim searches the package for it)."""
    if osp.isfile(osp.join(REPO, name)):
        return osp.join(REPO, name)
    found = glob.glob(osp.join(REPO, 'configs', '**', name), recursive=True)
    assert len(found) == 1, (name, found)
    return found[0]


def mim_args(command, argv):
    """Parse ``mim <command> ...`` as mim does; return (params, the
    arguments it passes on to the tool)."""
    module = __import__(f'mim.commands.{command}', fromlist=['cli'])
    with module.cli.make_context(command, list(argv)) as ctx:
        return ctx.params, list(ctx.params['other_args'])


def check_command(argv):
    head = argv[:2]
    if argv[0] == 'python' and argv[1] in ('tools/train.py', 'tools/test.py'):
        assert_config(argv[2])
        parses(osp.basename(argv[1])[:-3], argv[2:])
    elif head == ['bash', 'tools/dist_train.sh']:
        config, procs, *rest = argv[2:]
        assert_config(config)
        assert int(procs) > 0
        parses('train', [config, '--launcher', 'pytorch', *rest])
    elif head == ['bash', 'tools/dist_test.sh']:
        config, checkpoint, procs, *rest = argv[2:]
        assert_config(config)
        assert int(procs) > 0
        parses('test', [config, checkpoint, '--launcher', 'pytorch', *rest])
    elif head == ['mim', 'train'] or head == ['mim', 'test']:
        params, rest = mim_args(argv[1], argv[2:])
        assert params['package'] == 'mmattn'
        config = by_name(params['config'])
        extra = [params['checkpoint']] if argv[1] == 'test' else []
        parses(argv[1], [config, *extra, *rest, '--launcher',
                         params['launcher']])
    elif head in (['bash', 'tools/quickstart.sh'],
                  ['bash', 'tools/run_tests.sh']):
        assert osp.isfile(osp.join(REPO, argv[1]))
        for config in argv[2:]:
            assert_config(config)
    elif argv == ['source', '.venv/bin/activate']:
        with open(osp.join(REPO, 'tools', '_python.sh')) as f:
            assert '.venv/bin/python' in f.read()  # where install.sh puts it
    elif argv == ['pip', 'install', '.']:
        assert osp.isfile(osp.join(REPO, 'setup.py'))
    else:
        raise AssertionError(f'README command that nothing checks: {argv}')


def test_readme_has_what_is_checked():
    assert len(config_snippets()) >= 3 and script_snippets()
    assert sum(1 for _ in commands()) >= 10


@pytest.mark.parametrize('index', range(len(config_snippets())))
def test_config_snippet_builds_and_runs(index, tmp_path):
    path = tmp_path / 'snippet.py'
    path.write_text(config_snippets()[index])
    cfg = Config.fromfile(str(path))
    check_mmattn_types(cfg)
    forward_once(cfg)


@pytest.mark.parametrize('index', range(len(script_snippets())))
def test_python_snippet_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(script_snippets()[index], 'README.md', 'exec'), {})


@pytest.mark.parametrize('argv', list(commands()), ids=' '.join)
def test_command(argv):
    check_command(argv)


def test_synopses_name_the_tools_options():
    for body in blocks('text'):
        for line in body.splitlines():
            match = re.match(r'python tools/(train|test)\.py ', line)
            if not match:
                continue
            out = io.StringIO()
            with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
                tool(match.group(1)).parse_args(['--help'])
            for option in re.findall(r'--[\w-]+', line):
                assert option in out.getvalue(), (match.group(1), option)


def test_every_named_file_exists():
    with open(README) as f:
        text = f.read()
    links = re.findall(r'\]\(([^)#]+)(?:#[^)]*)?\)', text)
    paths = re.findall(r'(?<![\w/.-])((?:configs|tools|docs|requirements)/'
                       r'[\w./-]*\w)', text)
    for path in links + paths:
        if '://' in path or '...' in path or path.endswith('/x'):
            continue
        assert osp.exists(osp.join(REPO, path)), path
