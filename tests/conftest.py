"""Fixtures shared by the suite: the repo root, a toy-data working directory,
a runner for the command-line tools and a loader for the analysis tools."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'slow: trains or runs tools end to end (still runs in CI)')
    # mmcv and mmengine script functions at import: torch's deprecation
    # notices about that are not ours to act on.
    config.addinivalue_line(
        'filterwarnings', 'ignore:`torch.jit.*:DeprecationWarning')


@pytest.fixture(scope='session')
def toy_root(tmp_path_factory):
    """A working directory holding small ``data/toy_coco`` and
    ``data/toy_ade20k`` sets (16 train, 6 val images) made by
    ``tools/make_toy_data.py``; toy configs run from it as they do from the
    repository root."""
    root = tmp_path_factory.mktemp('toy_root')
    run_tool('make_toy_data.py', '--out', str(root / 'data'), '--num-train',
             16, '--num-val', 6, cwd=root)
    return root


def run_tool(script, *args, cwd, check=True, launcher=None, timeout=1200):
    """Run ``tools/<script>`` in a subprocess from ``cwd``.

    ``.sh`` scripts run with bash; Python tools with this interpreter.
    Returns the CompletedProcess (stdout and stderr merged into ``.output``);
    with ``check`` a failure raises with the tool's output in the message.
    """
    path = osp.join(REPO, 'tools', script)
    command = (['bash', path] if script.endswith('.sh') else
               [sys.executable, path]) + [str(a) for a in args]
    env = dict(os.environ, PYTHON=sys.executable, PYTHONUNBUFFERED='1')
    result = subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=timeout)
    result.output = result.stdout
    if check and result.returncode != 0:
        raise AssertionError(f'{" ".join(command)} exited with '
                             f'{result.returncode}:\n{result.output[-6000:]}')
    return result


def short_run(iters, *extra):
    """``--cfg-options`` for a run of ``iters`` iterations that validates
    and saves a checkpoint once, at its end."""
    return ['--cfg-options', f'train_cfg.max_iters={iters}',
            f'train_cfg.val_interval={iters}', *extra]


def last_checkpoint(work_dir):
    """The path of the checkpoint a run in ``work_dir`` saved last."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def assert_same_weights(path, model):
    """The checkpoint file at ``path`` holds exactly ``model``'s weights."""
    import torch

    from mmattn.checkpoint import load_state_dict_file
    saved = load_state_dict_file(str(path))
    assert saved.keys() == model.state_dict().keys()
    for key, value in model.state_dict().items():
        assert torch.equal(saved[key], value), key


def config_path(*parts):
    """Absolute path of a config under ``configs/``."""
    return osp.join(REPO, 'configs', *parts)


def load_analysis_tool(name):
    """``tools/analysis_tools/<name>.py`` as a module (its folder on
    sys.path, as when it runs as a script), for in-process tests."""
    tools = osp.join(REPO, 'tools', 'analysis_tools')
    if tools not in sys.path:
        sys.path.insert(0, tools)
    spec = importlib.util.spec_from_file_location(
        f'analysis_{name}', osp.join(tools, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_close_to_scale(out, ref, rtol, what):
    """The tensors ``out`` equal ``ref`` to ``rtol`` of the largest element
    of all of ``ref``."""
    import torch
    from torch.utils._pytree import tree_flatten
    outs, spec = tree_flatten(out)
    refs, ref_spec = tree_flatten(ref)
    assert spec == ref_spec, what
    scale = max(r.abs().max().item() for r in refs)
    for o, r in zip(outs, refs):
        torch.testing.assert_close(
            o,
            r,
            rtol=0,
            atol=rtol * scale,
            msg=lambda m: f'{what} (scale {scale:.3g}): {m}')
