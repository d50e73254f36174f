"""Import the scripts of tools/analysis as modules, for in-process tests."""
import importlib.util
import os.path as osp
import sys

import numpy as np

TOOLS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                 'tools', 'analysis_tools')


def load(name):
    """``tools/analysis_tools/<name>.py`` as a module (its folder on sys.path, as
    when it runs as a script)."""
    if TOOLS not in sys.path:
        sys.path.insert(0, TOOLS)
    spec = importlib.util.spec_from_file_location(
        f'analysis_{name}', osp.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_png(path):
    """The decoded image; fails unless it has content (not one flat colour)."""
    import matplotlib.image
    img = matplotlib.image.imread(str(path))
    assert img.ndim == 3 and img.shape[0] > 50 and img.shape[1] > 50
    assert float(np.std(img[..., :3])) > 0.02, f'{path} is blank'
    return img


def markdown_rows(table):
    """Cells of every body row of a markdown table."""
    lines = [line for line in table.splitlines() if line.startswith('|')]
    return [[c.strip() for c in line.strip('|').split('|')]
            for line in lines[2:]]
