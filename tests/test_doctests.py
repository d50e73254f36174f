"""Every example in mmattn's docstrings runs and prints what it says
(``pytest --doctest-modules mmattn``, one test per module)."""
import doctest
import importlib
import pkgutil

import pytest

import mmattn


def modules():
    names = ['mmattn']
    for info in pkgutil.walk_packages(mmattn.__path__, 'mmattn.'):
        names.append(info.name)
    return sorted(names)


def examples(name):
    module = importlib.import_module(name)
    return [test for test in doctest.DocTestFinder().find(module)
            if test.examples and test.name.startswith(name)]


MODULES = [name for name in modules() if examples(name)]


def test_the_examples_are_found():
    assert {'mmattn.models.backbones.van', 'mmattn.models.attention.se',
            'mmattn.checkpoint'} <= set(MODULES)


@pytest.mark.parametrize('name', MODULES)
def test_docstring_examples_run(name):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS
                                   | doctest.NORMALIZE_WHITESPACE)
    for test in examples(name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f'{result.failed} example(s) of {name} failed'
