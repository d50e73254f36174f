"""tools/check_env.py and the one dependency list: requirements/*.txt is what
setup.py declares and what check_env.py (hence tools/install.sh) checks."""
import glob
import importlib.util
import os.path as osp
import subprocess
import sys
from importlib.metadata import packages_distributions

from conftest import REPO

spec = importlib.util.spec_from_file_location(
    'check_env', osp.join(REPO, 'tools', 'check_env.py'))
check_env = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_env)


def test_every_requirement_file_is_checked():
    files = {osp.splitext(osp.basename(path))[0]
             for path in glob.glob(osp.join(REPO, 'requirements', '*.txt'))}
    assert set(check_env.LISTS) == files


def test_setup_declares_the_same_lists(tmp_path):
    subprocess.run([sys.executable, 'setup.py', '-q', 'egg_info',
                    '--egg-base', str(tmp_path)], cwd=REPO, check=True,
                   capture_output=True)
    sections, name = {'': []}, ''
    for line in (tmp_path / 'mmattn.egg-info' / 'requires.txt').read_text(
    ).splitlines():
        if line.startswith('['):
            name = line.strip('[]')
            sections[name] = []
        elif line:
            sections[name].append(line)

    def read(*lists):
        return [str(r) for name in lists
                for r in check_env.read_requirements(name)]

    assert sections.pop('') == read('runtime', 'mminstall')
    assert sections == {name: read(name) for name in ('tests', 'analysis',
                                                      'mim')}


def test_versions_outside_the_specifier_are_reported():
    modules = packages_distributions()
    Requirement = check_env.Requirement
    ok, found = check_env.check(Requirement('mmcv>=2.0.0rc4,<2.2.0'), modules)
    assert ok and found.startswith('2.')
    ok, found = check_env.check(Requirement('mmcv<2.0'), modules)
    assert not ok and found.endswith('(need <2.0)')
    ok, found = check_env.check(Requirement('no-such-distribution'), modules)
    assert (ok, found) == (False, 'missing')


def test_everything_installed():
    result = subprocess.run([sys.executable, 'tools/check_env.py'], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    names = [line.split()[1] for line in result.stdout.splitlines()]
    assert {'mmcv', 'openmim', 'grad-cam', 'mmattn'} <= set(names)
