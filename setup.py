"""mmattn: visual attention blocks and backbones for mmdet and mmsegmentation.

``add_mim_extension`` links (editable install) or copies (wheel, sdist)
``configs/``, ``tools/`` and the model index into ``mmattn/.mim``, as the
OpenMMLab packages do, so that ``_base_ = 'mmattn::van/...'`` resolves and
``mim train mmattn`` finds the tools.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))
# .mim/<name> -> <source>: what mim and mmengine look for in a package.
MIM_FILES = {
    'configs': 'configs',
    'tools': 'tools',
    'model-index.yml': 'configs/model-index.yml',
}


def add_mim_extension():
    if {'develop', 'editable_wheel'} & set(sys.argv):
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'build', 'install'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    mim_dir = osp.join(ROOT, 'mmattn', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name, source in MIM_FILES.items():
        src, dst = osp.join(ROOT, source), osp.join(mim_dir, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_dir), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


def requirements(name):
    """The requirement lines of ``requirements/<name>.txt``, the one list
    that setup.py, tools/install.sh and tools/check_env.py read."""
    with open(osp.join(ROOT, 'requirements', f'{name}.txt')) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


def version():
    scope = {}
    with open(osp.join(ROOT, 'mmattn', '__init__.py')) as f:
        for line in f:
            if line.startswith('__version__'):
                exec(line, scope)
    return scope['__version__']


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmattn',
        version=version(),
        description='Visual attention blocks and attention backbones '
        '(VAN, Conv2Former) for mmdet and mmsegmentation',
        long_description=open(osp.join(ROOT, 'README.md')).read(),
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        python_requires='>=3.8',
        packages=find_packages(exclude=('configs', 'tools', 'tests')),
        include_package_data=True,
        package_data={'mmattn': ['.mim/configs/**/*', '.mim/tools/**/*',
                                 '.mim/model-index.yml']},
        install_requires=requirements('runtime') + requirements('mminstall'),
        # requirements/no_deps.txt (grad-cam) is no extra: installed with its
        # dependencies, it would pull torchvision.
        extras_require={
            extra: requirements(extra)
            for extra in ('tests', 'analysis', 'mim')
        },
        zip_safe=False)
