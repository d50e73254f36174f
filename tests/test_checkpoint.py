"""Safe loading: weights_only with an allowlist; a code-execution payload is
refused and never runs; strict loading lists what does not fit."""
import argparse
import os

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer, MMLogger
from mmengine.runner import load_checkpoint

from mmattn.checkpoint import (CheckpointError, load_local, load_pretrained,
                               load_state_dict_file)


class Payload:
    """Unpickling this runs ``touch <marker>``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


@pytest.fixture
def evil(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'x': Payload(marker)},
               path)
    return path, marker


def test_payload_refused_and_not_run(evil):
    path, marker = evil
    with pytest.raises(CheckpointError, match='system') as error:
        load_local(path)
    assert 'Nothing from the file was executed' in str(error.value)
    assert not marker.exists()


def test_payload_refused_through_mmengine_loader(evil):
    """load_from, --resume and Pretrained init all go through mmengine."""
    path, marker = evil
    with pytest.raises(CheckpointError, match='refused'):
        load_checkpoint(nn.Linear(1, 1), str(path))
    assert not marker.exists()


class GetattrPayload:
    """Unpickles as ``getattr(HistoryBuffer, '__init__')``: a use of getattr
    beyond the HistoryBuffer statistics it is allowed for."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, '__init__')


def test_getattr_limited_to_history_buffer_statistics(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'x': GetattrPayload()}, path)
    with pytest.raises(CheckpointError, match='builtins.getattr'):
        load_local(path)


def test_mmengine_runtime_objects_load(tmp_path, monkeypatch):
    """What mmengine runners save (HistoryBuffer, numpy) is allowlisted."""
    buffer = HistoryBuffer()
    buffer.update(1.5)
    path = tmp_path / 'ckpt.pth'
    torch.save({'meta': {'buffer': buffer, 'arr': np.arange(3),
                         'rng': np.random.get_state()},
                'state_dict': {'w': torch.ones(2)}}, path)
    # As in a fresh process, where no HistoryBuffer has registered the
    # default statistics yet.
    monkeypatch.setattr(HistoryBuffer, '_statistics_methods', {})
    loaded = load_local(path)
    assert loaded['meta']['buffer'].current() == 1.5
    assert loaded['meta']['arr'].tolist() == [0, 1, 2]
    assert torch.equal(load_state_dict_file(path)['w'], torch.ones(2))


def test_timm_training_checkpoint_loads(tmp_path):
    """Official VAN / Conv2Former weights are timm checkpoints with args."""
    path = tmp_path / 'van_b0.pth.tar'
    torch.save({'epoch': 300, 'arch': 'van_b0', 'version': 2, 'metric': 75.4,
                'args': argparse.Namespace(lr=1e-3, model='van_b0'),
                'state_dict': {'head.weight': torch.ones(2)}}, path)
    assert load_local(path)['args'].model == 'van_b0'
    assert list(load_state_dict_file(path)) == ['head.weight']


def test_missing_file():
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_local('nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint(nn.Linear(1, 1), 'nope.pth')


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(2, 3)
        self.norm = nn.LayerNorm(3)


def test_load_pretrained_prefix_convert_drop_and_report(tmp_path):
    source = Net()
    renamed = {('backbone.trunk' + k[len('body'):] if k.startswith('body')
                else 'backbone.' + k): v
               for k, v in source.state_dict().items() if 'norm' not in k}
    renamed['head.fc.weight'] = torch.zeros(1)
    path = tmp_path / 'foreign.pth'
    torch.save({'state_dict': renamed}, path)

    target = Net()
    logger = MMLogger.get_instance('test_load_pretrained')
    messages = []
    logger.log = lambda level, msg, *a, **k: messages.append(msg)
    load_pretrained(
        target, str(path), prefix='backbone',
        convert=lambda sd: {k.replace('trunk', 'body'): v
                            for k, v in sd.items()},
        drop=[r'^head\.'], allow_missing=[r'^norm\.'], logger=logger)
    assert torch.equal(target.body.weight, source.body.weight)
    assert any('newly initialised' in m and 'norm.weight' in m
               for m in messages)


def test_load_pretrained_lists_mismatches(tmp_path):
    state = Net().state_dict()
    state['extra.weight'] = torch.zeros(1)
    del state['norm.bias']
    state['body.weight'] = torch.zeros(4, 2)
    path = tmp_path / 'bad.pth'
    torch.save(state, path)
    with pytest.raises(CheckpointError) as error:
        load_pretrained(Net(), str(path))
    message = str(error.value)
    assert 'missing keys (1): norm.bias' in message
    assert 'unexpected keys (1): extra.weight' in message
    assert 'body.weight: checkpoint (4, 2) vs model (3, 2)' in message


def test_prefix_that_matches_nothing(tmp_path):
    path = tmp_path / 'plain.pth'
    torch.save(Net().state_dict(), path)
    with pytest.raises(CheckpointError, match="prefix 'backbone.'"):
        load_pretrained(Net(), str(path), prefix='backbone')
