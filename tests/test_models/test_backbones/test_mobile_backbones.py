"""What MobileNetV2 and MobileNeXt share, checked on both at a tiny size:
every registered attention block plugs into the ``attention=`` hook and
trains, per-stage on/off, the official init, frozen stages and norm_eval,
and, with coordinate attention inside, ONNX export (onnxruntime),
torch.compile (inductor; eval and a training step), bf16 autocast,
channels_last input and batch 1 in training."""
import io

import numpy as np
import onnxruntime
import pytest
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmattn.models.attention import AttentionBlock, registered_blocks
from mmattn.models.backbones import MobileNetV2, MobileNeXt

# One stage of each block form: MobileNetV2 with and without expansion;
# MobileNeXt's first stage, a single stride-1 block, a strided first block,
# a stride-1 first block without depthwise convs, and shortcut blocks.
TINY = {
    MobileNetV2: dict(expand_ratios=[1, 6, 6, 6], channels=[8, 16, 24, 32],
                      num_blocks=[1, 2, 1, 1], strides=[1, 2, 2, 2],
                      last_channels=64),
    MobileNeXt: dict(expand_ratios=[2, 6, 6, 6, 6],
                     channels=[16, 24, 32, 48, 64], num_blocks=[1, 1, 2, 2, 1],
                     strides=[2, 1, 2, 1, 1]),
}
BACKBONES = list(TINY)
CA = dict(type='mmattn.CoordAttention')
# Constructor kwargs for blocks whose defaults do not fit these widths.
EXTRA_KWARGS = {
    'SK': dict(groups=8),  # SKNet's 32 groups need widths divisible by 32
}


def tiny(cls, **kwargs):
    kwargs.setdefault('out_indices', tuple(range(len(TINY[cls]['channels'])
                                                 + (cls is MobileNetV2))))
    return cls(TINY[cls], **kwargs)


def attention_blocks(model):
    """The blocks in the ``attention`` slots."""
    return [m for name, m in model.named_modules()
            if name.endswith('.attention') and isinstance(m, AttentionBlock)]


@pytest.mark.parametrize('cls', BACKBONES)
@pytest.mark.parametrize('name', sorted(registered_blocks()))
def test_every_registered_block_plugs_in_and_trains(cls, name):
    torch.manual_seed(0)
    attention = dict(type=f'mmattn.{name}', **EXTRA_KWARGS.get(name, {}))
    model = tiny(cls, attention=attention).train()
    blocks = attention_blocks(model)
    assert blocks and all(type(b).__name__ == name for b in blocks)
    outs = model(torch.randn(2, 3, 32, 32))
    sum((out * torch.randn_like(out)).sum() for out in outs).backward()
    for pname, param in model.named_parameters():
        assert param.grad is not None, f'{pname} gets no gradient'
        assert torch.isfinite(param.grad).all(), pname


@pytest.mark.parametrize('cls', BACKBONES)
def test_attention_stages(cls):
    stages = len(TINY[cls]['channels'])
    on = [i == stages - 1 for i in range(stages)]
    model = tiny(cls, attention=CA, attention_stages=on)
    holders = {name.split('.')[0] for name, m in model.named_modules()
               if isinstance(m, AttentionBlock)}
    assert len(attention_blocks(model)) == TINY[cls]['num_blocks'][-1]
    assert holders == {f'layer{stages}'}


class ZeroStart(AttentionBlock):
    """A block whose own init (zero weights) must survive the backbone's."""

    def __init__(self, in_channels, init_cfg=None):
        super().__init__(in_channels, init_cfg)
        self.scale = nn.Conv2d(in_channels, in_channels, 1)

    def reset_parameters(self):
        nn.init.zeros_(self.scale.weight)

    def forward(self, x):
        return x + self.scale(x)


@pytest.mark.parametrize('cls', BACKBONES)
def test_official_init_then_the_blocks_own(cls):
    """Without an init_cfg: conv weights ~ N(0, 2 / (k² out)), norms 1 and
    0, then each attention block's reset_parameters()."""
    torch.manual_seed(0)
    model = cls(out_indices=7, attention=dict(type=ZeroStart))
    with torch.no_grad():
        for param in model.parameters():
            param.uniform_(3, 4)
    model.init_weights()
    conv = model.layer3[1].expand_conv.conv
    assert conv.weight.std().item() == pytest.approx(
        (2 / conv.out_channels) ** 0.5, rel=0.1)
    bn = model.layer3[1].expand_conv.bn
    assert torch.equal(bn.weight, torch.ones_like(bn.weight))
    assert torch.equal(bn.bias, torch.zeros_like(bn.bias))
    for block in attention_blocks(model):
        assert not block.scale.weight.any()
        assert not block.scale.bias.any()  # the official init's zero bias


@pytest.mark.parametrize('cls', BACKBONES)
def test_a_host_init_cfg_replaces_the_official_init(cls):
    """As mmdet's SSDLite sets one (mmcv re-inits conv1, as in mmdet); the
    blocks' own init still comes last."""
    torch.manual_seed(0)
    model = tiny(cls, attention=dict(type=ZeroStart),
                 init_cfg=dict(type='Constant', layer='Conv2d', val=0.5))
    model.init_weights()
    assert torch.all(model.layer2[0].reduce_conv.conv.weight == 0.5) \
        if cls is MobileNeXt else \
        torch.all(model.layer2[0].linear_conv.conv.weight == 0.5)
    for block in attention_blocks(model):
        assert not block.scale.weight.any()


@pytest.mark.parametrize('cls', BACKBONES)
def test_frozen_stages_and_norm_eval(cls):
    model = tiny(cls, frozen_stages=2, norm_eval=True, attention=CA)
    model.train()
    frozen = [model.conv1, model.layer1, model.layer2]
    for module in frozen:
        assert not module.training
        assert all(not p.requires_grad for p in module.parameters())
    assert all(p.requires_grad for p in model.layer3.parameters())
    assert model.layer3.training
    assert all(not m.training for m in model.modules()
               if isinstance(m, _BatchNorm))
    model = tiny(cls, frozen_stages=0)
    model.train()
    assert not model.conv1.training and model.layer1.training
    assert all(p.requires_grad for p in model.layer1.parameters())


@pytest.mark.parametrize('cls', BACKBONES)
def test_channels_last_batch_one_and_bf16(cls):
    torch.manual_seed(0)
    model = tiny(cls, attention=CA).train()
    x = torch.randn(1, 3, 33, 47).contiguous(memory_format=torch.channels_last)
    outs = model(x)
    assert all(o.is_contiguous(memory_format=torch.channels_last)
               for o in outs if o.shape[2] * o.shape[3] > 1)
    sum(o.sum() for o in outs).backward()
    model.eval()
    x = torch.randn(2, 3, 33, 47)
    with torch.no_grad():
        refs = model(x)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            outs = model(x)
    for out, ref in zip(outs, refs):
        assert out.dtype == torch.bfloat16
        assert (out.float() - ref).abs().max() <= 0.05 * ref.abs().max()


@pytest.mark.parametrize('cls', BACKBONES)
def test_onnx_export_matches_eager(cls):
    torch.manual_seed(0)
    model = tiny(cls, attention=CA).eval()
    x = torch.randn(1, 3, 37, 45)
    buffer = io.BytesIO()
    torch.onnx.export(model, (x, ), buffer, dynamo=False, opset_version=17)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        buffer.getvalue(), options, providers=['CPUExecutionProvider'])
    outs = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    with torch.no_grad():
        refs = model(x)
    assert len(outs) == len(refs)
    for out, ref in zip(outs, refs):
        np.testing.assert_allclose(out, ref.numpy(), rtol=1e-4, atol=1e-4)


# Two stages, CA in each: compile time grows with the graph.
COMPILE_ARCH = {
    MobileNetV2: dict(expand_ratios=[1, 6], channels=[8, 16],
                      num_blocks=[1, 1], strides=[1, 2], last_channels=32),
    MobileNeXt: dict(expand_ratios=[2, 6], channels=[16, 24],
                     num_blocks=[1, 2], strides=[2, 1]),
}


@pytest.mark.slow
@pytest.mark.parametrize('cls', BACKBONES)
def test_torch_compile_matches_eager(cls):
    """Inductor: eval under no_grad, and a training step's outputs and
    gradients, to 1e-4 of the largest value."""
    torch.manual_seed(0)
    torch._dynamo.reset()
    model = cls(COMPILE_ARCH[cls], attention=CA, out_indices=(0, 1))
    compiled = torch.compile(model, backend='inductor', dynamic=False)
    x = torch.randn(2, 3, 32, 32)

    def close(a, b):
        assert (a - b).abs().max() <= 1e-4 * b.abs().max()

    model.eval()
    with torch.no_grad():
        for out, ref in zip(compiled(x), model(x)):
            close(out, ref)
    model.train()
    results = []
    for fn in (model, compiled):
        model.zero_grad()
        torch.manual_seed(1)
        outs = fn(x)
        sum((o * torch.randn_like(o)).sum() for o in outs).backward()
        grads = torch.cat([p.grad.flatten() for p in model.parameters()])
        results.append((outs, grads))
    (ref_outs, ref_grads), (outs, grads) = results
    for out, ref in zip(outs, ref_outs):
        close(out.detach(), ref.detach())
    # per element, against the largest gradient: the biases before a BN
    # have zero gradients up to rounding, which no relative test survives
    close(grads, ref_grads)
