"""The ``mmattn`` scope: ``type='mmattn.X'`` resolves under the mmdet and
mmseg scopes, bare names do not, and an unknown name is reported with the
close matches."""
import pytest
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope, init_default_scope

from mmattn.registry import MODELS
from mmattn.runner import ConfigError, check_mmattn_types


@MODELS.register_module(force=True)
class _RegistryProbe(nn.Module):

    def __init__(self, in_channels):
        super().__init__()
        self.in_channels = in_channels

    def forward(self, x):
        return x


def test_scope_and_parent():
    assert MODELS.scope == 'mmattn'
    assert MODELS.parent is ROOT_MODELS
    assert MODELS.name == 'model'


@pytest.mark.parametrize('host', ['mmdet', 'mmseg'])
def test_prefixed_type_resolves_under_host_scope(host):
    host_models = __import__(f'{host}.registry', fromlist=['MODELS']).MODELS
    with DefaultScope.overwrite_default_scope(host):
        module = host_models.build(
            dict(type='mmattn._RegistryProbe', in_channels=8))
        assert isinstance(module, _RegistryProbe)
        # A bare name is looked up in the host's registry and fails.
        with pytest.raises(KeyError, match='_RegistryProbe'):
            host_models.build(dict(type='_RegistryProbe', in_channels=8))


@pytest.mark.parametrize('host', ['mmdet', 'mmseg'])
def test_custom_imports_config_builds_real_block_in_host(tmp_path, host):
    """A config in the documented form registers mmattn.models on import."""
    from mmattn.models.attention import registered_blocks
    name = next(iter(registered_blocks()))
    path = tmp_path / 'cfg.py'
    path.write_text(
        f"default_scope = '{host}'\n"
        "custom_imports = dict(imports=['mmattn.models'], "
        "allow_failed_imports=False)\n"
        f"block = dict(type='mmattn.{name}', in_channels=16)\n")
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.default_scope)
    host_models = __import__(f'{host}.registry', fromlist=['MODELS']).MODELS
    block = host_models.build(cfg.block)
    assert type(block).__name__ == name


def test_unknown_type_lists_close_matches():
    cfg = Config(dict(model=dict(backbone=dict(type='mmattn._RegistryProbf'))))
    with pytest.raises(ConfigError) as error:
        check_mmattn_types(cfg)
    message = str(error.value)
    assert "'mmattn._RegistryProbf'" in message
    assert 'model.backbone.type' in message
    assert 'mmattn._RegistryProbe' in message


def test_known_and_foreign_types_pass():
    cfg = Config(dict(model=dict(
        type='EncoderDecoder',
        backbone=dict(type='mmattn._RegistryProbe'),
        plugins=[dict(cfg=dict(type='mmattn._RegistryProbe'))])))
    check_mmattn_types(cfg)
