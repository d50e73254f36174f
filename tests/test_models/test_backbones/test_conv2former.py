"""Conv2Former against a plain re-implementation of the official model.

``Official*`` below write out HVision-NKU/Conv2Former ``models/conv2former.py``
module for module, with its parameter names, its hand-written LayerNorm and
its classifier (``head``: 1×1 conv to 1280, GELU, LayerNorm; ``pred``:
Linear), so that parameter counts and checkpoints can be checked against it.
"""
import logging
import uuid

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MMLogger

from mmattn.checkpoint import CheckpointError
from mmattn.models import optimize_for_inference
from mmattn.models.attention.conv_mod import ConvMod
from mmattn.models.backbones.conv2former import (Conv2Former,
                                                 Conv2FormerBlock,
                                                 convert_official_conv2former)
from mmattn.models.layers.reference import to_reference
from mmattn.registry import MODELS

TINY = dict(kernel_size=5, embed_dims=[8, 16, 24, 32], depths=[1, 2, 1, 1])


def official_spec(arch):
    """``OfficialConv2Former`` arguments of a parsed arch."""
    return dict(kernel_size=arch['kernel_size'], dims=arch['embed_dims'],
                depths=arch['depths'])


class OfficialLayerNorm(nn.Module):

    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + 1e-6)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class OfficialMLP(nn.Module):

    def __init__(self, dim, mlp_ratio=4):
        super().__init__()
        self.norm = OfficialLayerNorm(dim)
        self.fc1 = nn.Conv2d(dim, dim * mlp_ratio, 1)
        self.pos = nn.Conv2d(dim * mlp_ratio, dim * mlp_ratio, 3, padding=1,
                             groups=dim * mlp_ratio)
        self.fc2 = nn.Conv2d(dim * mlp_ratio, dim, 1)
        self.act = nn.GELU()

    def forward(self, x):
        x = self.act(self.fc1(self.norm(x)))
        return self.fc2(x + self.act(self.pos(x)))


class OfficialSpatialAttention(nn.Module):

    def __init__(self, dim, kernel_size):
        super().__init__()
        self.norm = OfficialLayerNorm(dim)
        self.att = nn.Sequential(
            nn.Conv2d(dim, dim, 1), nn.GELU(),
            nn.Conv2d(dim, dim, kernel_size, padding=kernel_size // 2,
                      groups=dim))
        self.v = nn.Conv2d(dim, dim, 1)
        self.proj = nn.Conv2d(dim, dim, 1)

    def forward(self, x):
        x = self.norm(x)
        return self.proj(self.att(x) * self.v(x))


class OfficialBlock(nn.Module):

    def __init__(self, dim, kernel_size):
        super().__init__()
        self.attn = OfficialSpatialAttention(dim, kernel_size)
        self.mlp = OfficialMLP(dim)
        self.layer_scale_1 = nn.Parameter(1e-6 * torch.ones(dim))
        self.layer_scale_2 = nn.Parameter(1e-6 * torch.ones(dim))

    def forward(self, x):
        x = x + self.layer_scale_1[:, None, None] * self.attn(x)
        return x + self.layer_scale_2[:, None, None] * self.mlp(x)


class OfficialConv2Former(nn.Module):

    def __init__(self, kernel_size, dims, depths, num_classes=1000):
        super().__init__()
        half = dims[0] // 2
        self.downsample_layers = nn.ModuleList([nn.Sequential(
            nn.Conv2d(3, half, 3, 2, 1, bias=False), nn.GELU(),
            nn.BatchNorm2d(half),
            nn.Conv2d(half, half, 3, 1, 1, bias=False), nn.GELU(),
            nn.BatchNorm2d(half),
            nn.Conv2d(half, dims[0], 2, 2, bias=False))])
        for i in range(len(dims) - 1):
            self.downsample_layers.append(nn.Sequential(
                OfficialLayerNorm(dims[i]),
                nn.Conv2d(dims[i], dims[i + 1], 2, 2)))
        self.stages = nn.ModuleList(
            nn.Sequential(*[OfficialBlock(dim, kernel_size)
                            for _ in range(depth)])
            for dim, depth in zip(dims, depths))
        self.head = nn.Sequential(
            nn.Conv2d(dims[-1], 1280, 1), nn.GELU(), OfficialLayerNorm(1280))
        self.pred = nn.Linear(1280, num_classes)

    def stage_outputs(self, x):
        outs = []
        for down, stage in zip(self.downsample_layers, self.stages):
            x = stage(down(x))
            outs.append(x)
        return outs


#: Parameters of the official models with their 1000-class classifier; the
#: paper and README round them to 15M, 27M, 50M, 90M and 199M.
OFFICIAL_PARAMS = dict(n=14_992_840, t=26_697_204, s=50_032_692,
                       b=90_029_112, b_22k=88_784_952, l=198_893_736)
PAPER_MILLIONS = dict(n=15, t=27, s=50, b=90, l=199)


def randomise(model):
    """Random weights everywhere, layer scales and norms included, so that
    every parameter and buffer shows in the output."""
    torch.manual_seed(0)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith('num_batches_tracked'):
                continue
            if ('layer_scale' in name or name.endswith('running_var') or
                    'norm' in name and name.endswith('weight')):
                tensor.uniform_(0.5, 1.5)
            else:
                tensor.normal_(0, 0.1)
    return model


def copy_into(model, official):
    state = convert_official_conv2former(official.state_dict())
    state = {k: v for k, v in state.items() if k in model.state_dict()}
    missing, _ = model.load_state_dict(state, strict=False)
    assert all(k.startswith('norm') for k in missing)


@pytest.fixture
def log_lines():
    """Lines logged to a fresh current MMLogger."""
    logger = MMLogger.get_instance(f'test-conv2former-{uuid.uuid4()}')
    lines = []

    class Collect(logging.Handler):

        def emit(self, record):
            lines.append(record.getMessage())

    logger.addHandler(Collect())
    return lines


def test_arch_errors():
    with pytest.raises(ValueError, match="arch must be one of .* got 'x'"):
        Conv2Former('x')
    with pytest.raises(ValueError, match=r"missing \['depths', "
                       r"'kernel_size'\]"):
        Conv2Former(dict(embed_dims=[8, 16, 24, 32]))
    with pytest.raises(ValueError, match=r"unknown \['dims'\]"):
        Conv2Former(dict(TINY, dims=[8, 16, 24, 32]))
    with pytest.raises(ValueError, match='one entry per stage'):
        Conv2Former(dict(TINY, depths=[1, 1, 1]))
    with pytest.raises(ValueError, match='a name or a dict'):
        Conv2Former(3)
    with pytest.raises(ValueError, match='out_indices'):
        Conv2Former(TINY, out_indices=(4, ))
    with pytest.raises(ValueError, match='out_indices'):
        Conv2Former(TINY, out_indices=-5)
    with pytest.raises(ValueError, match='frozen_stages'):
        Conv2Former(TINY, frozen_stages=4)


@pytest.mark.parametrize('arch', sorted(OFFICIAL_PARAMS))
def test_parameter_count_matches_official(arch):
    spec = Conv2Former.arch_zoo[arch]
    with torch.device('meta'):
        model = Conv2Former(arch)
        official = OfficialConv2Former(**official_spec(spec))
    assert model.arch_settings == dict(spec, mlp_ratios=None)
    head = sum(p.numel() for name, p in official.named_parameters()
               if name.startswith(('head.', 'pred.')))
    body = sum(p.numel() for name, p in model.named_parameters()
               if not name.startswith('norm'))
    assert body + head == OFFICIAL_PARAMS[arch]
    assert sum(p.numel() for p in official.parameters()) == \
        OFFICIAL_PARAMS[arch]
    if arch in PAPER_MILLIONS:
        assert round(OFFICIAL_PARAMS[arch] / 1e6) == PAPER_MILLIONS[arch]


def test_arch_aliases_and_custom():
    assert Conv2Former.arch_zoo['tiny'] is Conv2Former.arch_zoo['t']
    model = Conv2Former(dict(TINY, mlp_ratios=[2, 3, 4, 4]))
    assert model.stages[0][0].mlp.fc1.out_channels == 16
    assert model.stages[1][0].mlp.fc1.out_channels == 48
    assert model.stages[1][1].attn.dwconv.kernel_size == (5, 5)


@pytest.mark.parametrize('size', [(31, 31), (33, 47), (64, 35)])
def test_output_shapes(size):
    model = Conv2Former(TINY, out_indices=(0, -3, 3)).eval()
    h, w = size
    with torch.no_grad():
        outs = model(torch.rand(1, 3, h, w))
    assert model.out_indices == (0, 1, 3)
    # stem: ceil(h / 2) then // 2; each downsampling: // 2.
    h, w = (h + 1) // 2 // 2, (w + 1) // 2 // 2
    expected = [(8, h, w), (16, h // 2, w // 2), (32, h // 8, w // 8)]
    assert [tuple(o.shape[1:]) for o in outs] == expected
    assert all(o.is_contiguous() for o in outs)


def test_too_small_input_is_named():
    with pytest.raises(ValueError, match=r'\(30, 40\) is too small for 4 '
                       r'stages: Conv2Former needs at least 31×31'):
        Conv2Former(TINY)(torch.rand(1, 3, 30, 40))


def test_real_arch_forward():
    model = Conv2Former('n').eval()
    with torch.no_grad():
        outs = model(torch.rand(2, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [
        (2, 64, 16, 24), (2, 128, 8, 12), (2, 256, 4, 6), (2, 512, 2, 3)]


def test_channels_last_input_gives_channels_last_output():
    model = Conv2Former(TINY, out_indices=2).eval()
    x = torch.rand(2, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    out, = model(x)
    assert out.is_contiguous(memory_format=torch.channels_last)


def test_init_weights():
    torch.manual_seed(0)
    model = Conv2Former(TINY)
    before = model.stages[3][0].mlp.fc1.weight.clone()
    model.init_weights()
    weight = model.stages[3][0].mlp.fc1.weight  # 128×32 values
    assert not torch.equal(before, weight)
    assert 0.018 < weight.std() < 0.022  # official: trunc_normal_(std=.02)
    assert model.stages[3][0].mlp.fc1.bias.abs().max() == 0
    assert torch.all(model.stages[1][1].layer_scale_2 == 1e-6)
    assert torch.all(model.norm3.weight == 1)


def test_frozen_stages_and_norm_eval():
    model = Conv2Former(TINY, frozen_stages=1, norm_eval=True)
    model.train()
    for i in range(2):
        for module in (model.downsample_layers[i], model.stages[i]):
            assert not module.training
            assert all(not p.requires_grad for p in module.parameters())
    for module in (model.downsample_layers[2], model.stages[2], model.norm0):
        assert module.training
        assert all(p.requires_grad for p in module.parameters())
    assert all(not m.training for m in model.modules()
               if isinstance(m, nn.BatchNorm2d))

    model = Conv2Former(TINY, norm_eval=False).train()
    assert all(m.training for m in model.modules())


@pytest.mark.parametrize('train', [False, True])
def test_equals_the_official_formulation(train):
    torch.manual_seed(0)
    model = randomise(Conv2Former(TINY, drop_path_rate=0.))
    reference = to_reference(model)
    model.train(train), reference.train(train)
    x = torch.randn(2, 3, 37, 45)
    outs, refs = model(x), reference(x)
    for a, b in zip(outs, refs):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    if train:
        sum(o.square().mean() for o in outs).backward()
        sum(o.square().mean() for o in refs).backward()
        for (name, a), b in zip(model.named_parameters(),
                                reference.parameters()):
            torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5,
                                       msg=name)


def test_equals_the_official_formulation_bf16_autocast():
    torch.manual_seed(0)
    model = randomise(Conv2Former(TINY)).eval()
    slow = to_reference(model)
    x = torch.randn(1, 3, 40, 40)
    with torch.no_grad():
        reference = slow(x)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            outs_fast, outs_slow = model(x), slow(x)
    for a, b, r in zip(outs_fast, outs_slow, reference):
        assert a.dtype == b.dtype
        # Both within bf16 rounding of the fp32 result, and of each other.
        scale = r.abs().max()
        assert (a.float() - r).abs().max() < 0.05 * scale
        assert (a.float() - b.float()).abs().max() < 0.05 * scale


def test_block_keeps_the_official_dtypes_under_autocast():
    # Officially ``x + ls * f(x)``: the float32 layer scale promotes the
    # bf16 branch, so the residual stream stays float32.
    block = Conv2FormerBlock(16, 5)
    x = torch.randn(1, 16, 9, 9, dtype=torch.bfloat16)
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        assert block(x).dtype == torch.float32


def test_inference_form_equals_eval():
    torch.manual_seed(0)
    model = randomise(Conv2Former(TINY)).eval()
    x = torch.randn(2, 3, 41, 36)
    with torch.no_grad():
        expected = model(x)
        optimized = optimize_for_inference(to_reference(model))
        assert not any('layer_scale' in k for k in optimized.state_dict())
        for candidate in (optimize_for_inference(model), optimized):
            for out, ref in zip(candidate(x), expected):
                assert out.is_contiguous()
                torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('grad', [False, True])
def test_forward_leaves_its_input_alone(grad):
    model = Conv2Former(TINY).train(grad)
    optimized = optimize_for_inference(Conv2Former(TINY))
    block = ConvMod(8, kernel_size=3)
    for module, x in [(model, torch.randn(1, 3, 32, 32)),
                      (optimized, torch.randn(1, 3, 32, 32)),
                      (model.stages[0][0], torch.randn(1, 8, 9, 9)),
                      (optimized.stages[0][0], torch.randn(1, 8, 9, 9)),
                      (block, torch.randn(1, 8, 9, 9))]:
        x = x.contiguous(memory_format=torch.channels_last)
        before = x.clone()
        with torch.set_grad_enabled(grad):
            module(x)
        assert torch.equal(x, before)


@pytest.mark.slow
@pytest.mark.parametrize('train', [False, True])
def test_torch_compile_equals_eager(train):
    from test_van import check_compiled
    torch.manual_seed(0)
    # random weights, layer scales of order 1: every branch shows
    model = randomise(Conv2Former(dict(
        kernel_size=3, embed_dims=[8, 8, 16, 16], depths=[1, 1, 1, 1],
        mlp_ratios=[2, 2, 2, 2])))
    check_compiled(model, torch.randn(2, 3, 37, 40), train)


def test_official_checkpoint_loads_and_matches(tmp_path, log_lines):
    official = randomise(OfficialConv2Former(**official_spec(TINY))).eval()
    path = tmp_path / 'conv2former_tiny.pth.tar'
    # What timm's CheckpointSaver writes, minus optimizer state.
    torch.save(dict(epoch=299, arch='conv2former_t', version=2, metric=83.2,
                    state_dict=official.state_dict()), path)
    model = Conv2Former(
        TINY, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    assert any('newly initialised' in line and 'norm0.weight' in line
               for line in log_lines)
    assert not any('head' in line or 'pred' in line for line in log_lines)
    for i in range(4):  # compare the stage maps before the new output norms
        setattr(model, f'norm{i}', nn.Identity())
    model.eval()
    x = torch.randn(2, 3, 48, 40)
    with torch.no_grad():
        for ours, theirs in zip(model(x), official.stage_outputs(x)):
            torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)


def test_own_checkpoint_round_trip_with_prefix(tmp_path):
    source = randomise(Conv2Former(TINY)).eval()
    path = tmp_path / 'detector.pth'
    torch.save(dict(meta=dict(), state_dict={
        f'backbone.{k}': v for k, v in source.state_dict().items()}), path)
    model = Conv2Former(TINY, init_cfg=dict(
        type='Pretrained', checkpoint=str(path), prefix='backbone.'))
    model.init_weights()
    model.eval()
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        for a, b in zip(model(x), source(x)):
            assert torch.equal(a, b)


def test_checkpoint_mismatch_names_the_keys(tmp_path):
    official = OfficialConv2Former(**official_spec(TINY))
    state = official.state_dict()
    del state['stages.1.0.attn.v.weight']
    path = tmp_path / 'broken.pth.tar'
    torch.save(dict(state_dict=state), path)
    model = Conv2Former(
        TINY, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(CheckpointError, match=r'stages\.1\.0\.attn\.fc_v'
                       r'\.weight'):
        model.init_weights()


def test_converter_maps_both_official_layouts():
    value = torch.zeros(1)
    converted = convert_official_conv2former({
        'stages.0.0.attn.att.0.weight': value,  # models/conv2former.py
        'stages.0.0.attn.a.2.bias': value,  # convmod.py
        'stages.0.0.attn.v.weight': value,
        'stages.0.0.mlp.fc1.weight': value,
        'head.0.weight': value,
    })
    assert sorted(converted) == sorted([
        'stages.0.0.attn.fc_a.weight', 'stages.0.0.attn.dwconv.bias',
        'stages.0.0.attn.fc_v.weight', 'stages.0.0.mlp.fc1.weight',
        'head.0.weight'])
    assert convert_official_conv2former(converted) == converted


def test_conv_mod_standalone():
    block = MODELS.build(dict(type='mmattn.ConvMod', in_channels=12,
                              kernel_size=7))
    assert isinstance(block, ConvMod) and block._abbr_ == 'conv_mod'
    reference = to_reference(block)
    x = torch.randn(2, 12, 9, 14)
    out = block(x)
    assert out.is_contiguous()
    torch.testing.assert_close(out, reference(x), rtol=1e-5, atol=1e-6)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    assert block(x_cl).is_contiguous(memory_format=torch.channels_last)
    for kwargs, culprit in [(dict(in_channels=0), 'in_channels'),
                            (dict(in_channels=8, kernel_size=4),
                             'kernel_size'),
                            (dict(in_channels=8, kernel_size=0),
                             'kernel_size')]:
        with pytest.raises(ValueError, match=culprit):
            ConvMod(**kwargs)


def test_conv_mod_is_the_backbone_mixer():
    model = Conv2Former(TINY)
    assert type(model.stages[2][0].attn) is ConvMod
