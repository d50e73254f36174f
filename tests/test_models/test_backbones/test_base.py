"""What every backbone shares through StagedBackbone, checked on each of
them: argument errors, out_indices, frozen_stages (-1 = none), norm_eval,
memory formats, Pretrained loading and the official init.

A new backbone needs an entry in SMALL (a small custom arch and an input
size it accepts); the first test fails until it has one.
"""
import pytest
import torch
from torch.nn.modules.batchnorm import _BatchNorm

from mmattn.checkpoint import CheckpointError
from mmattn.models.backbones.base import StagedBackbone
from mmattn.registry import MODELS

#: name -> (small custom arch, input H×W)
SMALL = {
    'VAN': (dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 2, 1],
                 mlp_ratios=[4, 4, 2, 2]), (45, 38)),
    'Conv2Former': (dict(kernel_size=3, embed_dims=[8, 16, 24, 32],
                         depths=[1, 2, 1, 1]), (45, 38)),
    'MobileNetV2': (dict(expand_ratios=[1, 2, 2, 2, 2, 2, 2],
                         channels=[8, 8, 16, 16, 16, 24, 24],
                         num_blocks=[1, 1, 2, 1, 1, 1, 1],
                         strides=[1, 2, 2, 2, 1, 2, 1], last_channels=32),
                    (45, 38)),
    'MobileNeXt': (dict(expand_ratios=[2, 6, 6, 6, 6, 6, 6, 6],
                        channels=[16, 16, 24, 24, 32, 32, 48, 64],
                        num_blocks=[1, 1, 2, 1, 1, 1, 1, 1],
                        strides=[2, 1, 2, 2, 1, 2, 1, 1]), (45, 38)),
}


def backbones():
    import mmattn.models  # noqa: F401
    return sorted(name for name, cls in MODELS.module_dict.items()
                  if isinstance(cls, type) and issubclass(cls, StagedBackbone))


NAMES = backbones()


def build(name, **kwargs):
    arch, _ = SMALL[name]
    return MODELS.get(name)(arch=kwargs.pop('arch', arch), **kwargs)


def image(name, batch=2):
    torch.manual_seed(0)
    return torch.randn(batch, 3, *SMALL[name][1])


def test_every_backbone_is_covered():
    assert {'VAN', 'Conv2Former', 'MobileNetV2', 'MobileNeXt'} <= set(NAMES)
    assert set(NAMES) == set(SMALL), 'add the new backbone to SMALL'


@pytest.mark.parametrize('name', NAMES)
def test_arch_errors_are_value_errors_naming_the_culprit(name):
    cls = MODELS.get(name)
    arch, _ = SMALL[name]
    with pytest.raises(ValueError, match="arch must be one of .*'nope'"):
        cls(arch='nope')
    with pytest.raises(ValueError, match='arch must be a name or a dict'):
        cls(arch=3)
    first = cls.arch_keys[0]
    with pytest.raises(ValueError, match=rf"missing \['{first}'\]"):
        cls(arch={k: v for k, v in arch.items() if k != first})
    with pytest.raises(ValueError, match=r"unknown \['colour'\]"):
        cls(arch=dict(arch, colour='red'))
    for name_ in cls.arch_zoo:
        assert cls.parse_arch(name_.upper()) == cls.parse_arch(name_)


@pytest.mark.parametrize('name', NAMES)
def test_out_indices(name):
    model = build(name)
    n = model.num_stages
    for bad in [(n, ), (-n - 1, ), (), (True, ), 'all', (0.5, )]:
        with pytest.raises(ValueError, match='out_indices'):
            build(name, out_indices=bad)
    model = build(name, out_indices=(-1, 0)).eval()
    assert model.out_indices == (n - 1, 0)
    with torch.no_grad():
        outs = model(image(name))
    assert isinstance(outs, tuple) and len(outs) == 2
    # stage order, strides growing
    assert outs[0].shape[-1] > outs[1].shape[-1]
    single = build(name, out_indices=n - 1).eval()
    assert single.out_indices == (n - 1, )


@pytest.mark.parametrize('name', NAMES)
def test_frozen_stages(name):
    n = build(name).num_stages
    for bad in (-2, n, True, 1.0):
        with pytest.raises(ValueError, match='frozen_stages'):
            build(name, frozen_stages=bad)
    model = build(name, frozen_stages=-1).train()
    assert all(p.requires_grad for p in model.parameters())
    assert all(m.training for m in model.modules())
    for k in range(n):
        model = build(name, frozen_stages=k).train()
        frozen = {id(p) for i in range(k + 1)
                  for m in model.frozen_modules(i) for p in m.parameters()}
        assert frozen, f'frozen_stages={k} freezes nothing'
        for p in model.parameters():
            assert p.requires_grad is (id(p) not in frozen)
        for i in range(k + 1):
            for module in model.frozen_modules(i):
                assert not any(m.training for m in module.modules())
        # frozen parameters get no gradient in a training step
        x = image(name).requires_grad_()  # a graph even when all is frozen
        sum(o.mean() for o in model(x)).backward()
        assert all(p.grad is None for p in model.parameters()
                   if id(p) in frozen)


@pytest.mark.parametrize('name', NAMES)
def test_norm_eval(name):
    model = build(name, norm_eval=True).train()
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    assert norms and not any(m.training for m in norms)
    model = build(name, norm_eval=False).train()
    assert all(m.training for m in model.modules())


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('memory_format',
                         [torch.contiguous_format, torch.channels_last])
def test_outputs_keep_the_input_memory_format(name, memory_format):
    model = build(name).eval()
    x = image(name, batch=1).contiguous(memory_format=memory_format)
    with torch.no_grad():
        for out in model(x):
            assert out.is_contiguous(memory_format=memory_format)


@pytest.mark.parametrize('name', NAMES)
def test_official_init_and_pretrained_loading(name, tmp_path):
    torch.manual_seed(0)
    source = build(name)
    before = {k: v.clone() for k, v in source.state_dict().items()}
    source.init_weights()
    changed = [k for k, v in source.state_dict().items()
               if not torch.equal(v, before[k])]
    assert changed, 'reset_parameters changed nothing'

    path = tmp_path / 'ckpt.pth'
    torch.save(dict(state_dict={f'backbone.{k}': v
                                for k, v in source.state_dict().items()}),
               path)
    model = build(name, init_cfg=dict(type='Pretrained', checkpoint=str(path),
                                      prefix='backbone.'))
    model.init_weights()  # the checkpoint, not the official init over it
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key

    bad = build(name, init_cfg=dict(type='Pretrained',
                                    checkpoint=str(tmp_path / 'none.pth')))
    with pytest.raises(FileNotFoundError, match='none.pth'):
        bad.init_weights()
    torch.save({'backbone.extra': torch.zeros(1)}, tmp_path / 'odd.pth')
    odd = build(name, init_cfg=dict(type='Pretrained', prefix='backbone.',
                                    checkpoint=str(tmp_path / 'odd.pth')))
    with pytest.raises(CheckpointError, match='extra'):
        odd.init_weights()
