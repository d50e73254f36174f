"""Helpers of the analysis-tool tests: the scripts of tools/analysis_tools as
modules (``load``), PNG and markdown readers."""
import numpy as np
from conftest import load_analysis_tool as load  # noqa: F401


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
