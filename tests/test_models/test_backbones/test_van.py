"""VAN: archs, parameter counts, shapes, freezing, the three checkpoint
layouts against straightforward references, the drop-in layers and layout
against the straightforward formulation, the inference form, and
torch.compile."""
import copy

import pytest
import torch
import torch.nn as nn
from conftest import assert_close_to_scale
from torch.nn.modules.batchnorm import _BatchNorm

from mmattn.checkpoint import CheckpointError
from mmattn.models import optimize_for_inference
from mmattn.models.backbones.van import (VAN, convert_van_state_dict,
                                         detect_van_format)
from mmattn.models.layers.reference import to_reference

TINY = dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 2, 1],
            mlp_ratios=[8, 8, 4, 4])


# -- straightforward references, one per checkpoint layout -------------------
# Written from the official VAN-Classification code (and mmpretrain's and
# mmseg projects/van's renamings of it): same modules, their own key names.
NAMING = {
    'official': dict(proj='proj', block='block', dw='conv0',
                     dwd='conv_spatial', wrap_dwconv=True, eps=1e-6),
    'mmpretrain': dict(proj='projection', block='blocks', dw='DW_conv',
                       dwd='DW_D_conv', wrap_dwconv=False, eps=1e-5),
    'mmseg': dict(proj='proj', block='block', dw='conv0', dwd='conv_spatial',
                  wrap_dwconv=False, eps=1e-5),
}


class RefLKA(nn.Module):

    def __init__(self, c, names):
        super().__init__()
        self.names = names
        setattr(self, names['dw'], nn.Conv2d(c, c, 5, padding=2, groups=c))
        setattr(self, names['dwd'],
                nn.Conv2d(c, c, 7, padding=9, groups=c, dilation=3))
        self.conv1 = nn.Conv2d(c, c, 1)

    def forward(self, x):
        attn = getattr(self, self.names['dw'])(x)
        attn = getattr(self, self.names['dwd'])(attn)
        return x * self.conv1(attn)


class RefAttention(nn.Module):

    def __init__(self, c, names):
        super().__init__()
        self.proj_1 = nn.Conv2d(c, c, 1)
        self.activation = nn.GELU()
        self.spatial_gating_unit = RefLKA(c, names)
        self.proj_2 = nn.Conv2d(c, c, 1)

    def forward(self, x):
        y = self.proj_2(self.spatial_gating_unit(self.activation(
            self.proj_1(x))))
        return y + x


class RefDWConv(nn.Module):  # the official wrapper: mlp.dwconv.dwconv

    def __init__(self, c):
        super().__init__()
        self.dwconv = nn.Conv2d(c, c, 3, padding=1, groups=c)

    def forward(self, x):
        return self.dwconv(x)


class RefMlp(nn.Module):

    def __init__(self, c, hidden, names):
        super().__init__()
        self.fc1 = nn.Conv2d(c, hidden, 1)
        self.dwconv = RefDWConv(hidden) if names['wrap_dwconv'] else \
            nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden, c, 1)

    def forward(self, x):
        return self.fc2(self.act(self.dwconv(self.fc1(x))))


class RefBlock(nn.Module):

    def __init__(self, c, mlp_ratio, names):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(c)
        self.attn = RefAttention(c, names)
        self.norm2 = nn.BatchNorm2d(c)
        self.mlp = RefMlp(c, int(c * mlp_ratio), names)
        self.layer_scale_1 = nn.Parameter(1e-2 * torch.ones(c))
        self.layer_scale_2 = nn.Parameter(1e-2 * torch.ones(c))

    def forward(self, x):
        ls1 = self.layer_scale_1.unsqueeze(-1).unsqueeze(-1)
        ls2 = self.layer_scale_2.unsqueeze(-1).unsqueeze(-1)
        x = x + ls1 * self.attn(self.norm1(x))
        return x + ls2 * self.mlp(self.norm2(x))


class RefVAN(nn.Module):

    def __init__(self, arch, names):
        super().__init__()
        self.names = names
        dims = arch['embed_dims']
        for i, depth in enumerate(arch['depths']):
            embed = nn.Module()
            setattr(embed, names['proj'], nn.Conv2d(
                3 if i == 0 else dims[i - 1], dims[i], 7 if i == 0 else 3,
                4 if i == 0 else 2, 3 if i == 0 else 1))
            embed.norm = nn.BatchNorm2d(dims[i])
            setattr(self, f'patch_embed{i + 1}', embed)
            setattr(self, f"{names['block']}{i + 1}", nn.ModuleList(
                RefBlock(dims[i], arch['mlp_ratios'][i], names)
                for _ in range(depth)))
            setattr(self, f'norm{i + 1}', nn.LayerNorm(dims[i],
                                                       eps=names['eps']))
        self.num_stages = len(dims)

    def forward(self, x):
        outs = []
        for i in range(self.num_stages):
            embed = getattr(self, f'patch_embed{i + 1}')
            x = embed.norm(getattr(embed, self.names['proj'])(x))
            for block in getattr(self, f"{self.names['block']}{i + 1}"):
                x = block(x)
            n, c, h, w = x.shape
            x = getattr(self, f'norm{i + 1}')(x.flatten(2).transpose(1, 2))
            x = x.reshape(n, h, w, c).permute(0, 3, 1, 2).contiguous()
            outs.append(x)
        return outs


def randomize(model):
    """Random weights and BN statistics, layer scales of 1e-2's order, so
    that every parameter shows in the output."""
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if 'layer_scale' in name:
                p.uniform_(0.01, 0.2)
            elif p.dim() == 1:
                p.normal_(1.0 if name.endswith('weight') else 0.0, 0.1)
            else:
                fan_in = p[0].numel()
                p.normal_(0, fan_in**-0.5)
        for m in model.modules():
            if isinstance(m, _BatchNorm):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 2.0)
    return model.eval()


def checkpoint_of(layout, arch=TINY):
    """(reference model, state dict of the whole model as that layout saves
    it)."""
    backbone = randomize(RefVAN(arch, NAMING[layout]))
    dims = arch['embed_dims'][-1]
    if layout == 'official':
        backbone.head = nn.Linear(dims, 1000)
        return backbone, backbone.state_dict()
    whole = nn.Module()
    whole.backbone = backbone
    if layout == 'mmpretrain':
        whole.head = nn.Module()
        whole.head.fc = nn.Linear(dims, 1000)
    else:
        whole.decode_head = nn.Conv2d(dims, 150, 1)
    return backbone, whole.state_dict()


# -- construction -----------------------------------------------------------
@pytest.mark.parametrize('arch, match', [
    ('b7', 'arch must be one of'),
    (dict(embed_dims=[8], depths=[1]), 'mlp_ratios'),
    (dict(TINY, depths=[1, 1, 1]), 'one entry per stage'),
    (['b0'], 'arch must be a name or a dict'),
])
def test_arch_errors(arch, match):
    with pytest.raises(ValueError, match=match):
        VAN(arch)


def test_option_errors():
    with pytest.raises(ValueError, match='out_indices'):
        VAN(TINY, out_indices=(4, ))
    with pytest.raises(ValueError, match='frozen_stages'):
        VAN(TINY, frozen_stages=4)


@pytest.mark.parametrize('arch, alias, millions', [
    ('b0', 'tiny', 4.11), ('b1', 'small', 13.86), ('b2', 'base', 26.58),
    ('b3', 'large', 44.77)
])
def test_parameter_count_with_classifier_head(arch, alias, millions):
    model = VAN(alias)
    assert model.depths == VAN.arch_zoo[arch]['depths']
    head = nn.Linear(model.embed_dims[-1], 1000)  # after norm4 and the mean
    count = sum(p.numel() for m in (model, head) for p in m.parameters())
    assert round(count / 1e6, 2) == millions


def test_larger_archs_settings():
    for arch in ('b4', 'b5', 'b6'):
        zoo = VAN.arch_zoo[arch]
        model = VAN(dict(zoo, depths=[1, 1, 1, 1], mlp_ratios=[8, 8, 4, 4]))
        assert [m.proj.out_channels for m in
                (model.stage(i)['patch_embed'] for i in range(4))] \
            == zoo['embed_dims']
    assert VAN.arch_zoo['b6']['depths'] == [6, 6, 90, 6]


def test_shapes_and_strides_odd_input():
    model = VAN(TINY).eval()
    x = torch.randn(1, 3, 225, 301)
    with torch.no_grad():
        outs = model(x)
    h, w = (225 + 6 - 7) // 4 + 1, (301 + 6 - 7) // 4 + 1
    for out, dims in zip(outs, TINY['embed_dims']):
        assert out.shape == (1, dims, h, w)
        h, w = (h + 1) // 2, (w + 1) // 2
    assert outs[0].shape[-2:] == (57, 76)


@pytest.mark.parametrize('out_indices, expected', [
    ((0, 1, 2, 3), (0, 1, 2, 3)), ((-1, ), (3, )), (2, (2, ))
])
def test_out_indices(out_indices, expected):
    model = VAN(TINY, out_indices=out_indices).eval()
    assert model.out_indices == expected
    outs = model(torch.randn(2, 3, 32, 32))
    assert [o.shape[1] for o in outs] == [
        TINY['embed_dims'][i] for i in expected]


def test_frozen_stages_and_norm_eval():
    model = VAN(TINY, frozen_stages=1, norm_eval=True)
    model.train()
    for i in range(4):
        frozen = i <= 1
        for module in model.stage(i).values():
            assert module.training is not frozen
            assert all(p.requires_grad is not frozen
                       for p in module.parameters())
    assert all(not m.training for m in model.modules()
               if isinstance(m, _BatchNorm))
    assert model.norm3.training  # LayerNorms follow train()
    model = VAN(TINY, norm_eval=False).train()
    assert all(m.training for m in model.modules())


def test_norm_cfg_and_dropouts():
    model = VAN(TINY, norm_cfg=dict(type='SyncBN'), drop_path_rate=0.2,
                drop_rate=0.1)
    assert isinstance(model.patch_embed1.norm, nn.SyncBatchNorm)
    assert isinstance(model.block3[1].norm1, nn.SyncBatchNorm)
    assert model.block1[0].drop_path.__class__.__name__ == 'Identity'
    assert model.block4[0].drop_path.drop_prob == pytest.approx(0.2)
    assert model.block1[0].mlp.drop.p == 0.1
    assert model.norm1.eps == 1e-6 and VAN(TINY, ln_eps=1e-5).norm1.eps \
        == 1e-5
    model.eval()  # SyncBN runs on CPU in eval mode
    assert len(model(torch.randn(1, 3, 32, 32))) == 4


def test_official_init():
    model = VAN(TINY)
    model.init_weights()
    conv = model.block3[0].mlp.fc1  # 1×1, 24 -> 96: fan_out 96
    assert conv.weight.std().item() == pytest.approx((2 / 96)**0.5, rel=0.1)
    assert conv.bias.abs().max() == 0
    dw = model.block3[0].attn.spatial_gating_unit.conv_spatial
    assert dw.weight.std().item() == pytest.approx((2 / 49)**0.5, rel=0.15)
    assert torch.all(model.block1[0].layer_scale_1 == 1e-2)


# -- checkpoints ------------------------------------------------------------
@pytest.mark.parametrize('layout, wrap', [('official', True),
                                          ('official', False),
                                          ('mmpretrain', True),
                                          ('mmseg', True)])
def test_checkpoint_layouts_match_their_reference(layout, wrap, tmp_path):
    reference, state_dict = checkpoint_of(layout)
    assert detect_van_format(state_dict) == layout
    path = str(tmp_path / 'van.pth')
    torch.save(dict(meta=dict(), state_dict=state_dict) if wrap
               else state_dict, path)
    model = VAN(TINY, ln_eps=NAMING[layout]['eps'],
                init_cfg=dict(type='Pretrained', checkpoint=path))
    model.init_weights()
    model.eval()
    x = torch.randn(2, 3, 61, 83)
    with torch.no_grad():
        expected = reference(x)
        for candidate in (model, to_reference(model)):
            for out, ref in zip(candidate(x), expected):
                torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_checkpoint_with_prefix(tmp_path):
    _, state_dict = checkpoint_of('mmseg')
    path = str(tmp_path / 'seg.pth')
    torch.save(state_dict, path)
    model = VAN(TINY, init_cfg=dict(type='Pretrained', checkpoint=path,
                                    prefix='backbone.'))
    model.init_weights()
    assert torch.equal(model.patch_embed1.proj.weight,
                       state_dict['backbone.patch_embed1.proj.weight'])


def test_checkpoint_mismatch_lists_keys(tmp_path):
    _, state_dict = checkpoint_of('official')
    del state_dict['block2.0.mlp.fc1.bias']
    state_dict['block2.0.extra.weight'] = torch.zeros(1)
    path = str(tmp_path / 'bad.pth')
    torch.save(state_dict, path)
    model = VAN(TINY, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(CheckpointError) as error:
        model.init_weights()
    assert 'block2.0.mlp.fc1.bias' in str(error.value)
    assert 'block2.0.extra.weight' in str(error.value)
    assert 'head' not in str(error.value)  # the classifier is dropped


def test_converter_is_idempotent_on_own_layout():
    state_dict = VAN(TINY).state_dict()
    assert convert_van_state_dict(state_dict).keys() == state_dict.keys()
    assert detect_van_format(state_dict) == 'mmseg'


# -- drop-in layers and layout, inference form, compile ----------------------
def pair(arch=TINY):
    """(the straightforward formulation, the model) with the same random
    weights and BN statistics."""
    model = randomize(VAN(arch))
    return to_reference(model), model


def test_reference_is_the_straightforward_formulation():
    reference, model = pair()
    assert not reference.channels_last and model.channels_last
    kinds = {type(m).__name__ for m in reference.modules()}
    assert not kinds & {'PolyphaseConv2d', 'PointwiseConv2d', 'LayerNorm2d'}
    assert reference.state_dict().keys() == model.state_dict().keys()


@pytest.mark.parametrize('memory_format',
                         [torch.contiguous_format, torch.channels_last])
def test_outputs_keep_the_input_memory_format(memory_format):
    x = torch.randn(1, 3, 64, 64).contiguous(memory_format=memory_format)
    for out in VAN(TINY)(x):
        assert out.is_contiguous(memory_format=memory_format)


def test_mmcv_roi_align_reads_the_features_right():
    """mmcv's CPU RoIAlign reads NCHW without checking: fed the channels_last
    features VAN runs in, it returned other numbers, and Mask R-CNN with VAN
    did not learn."""
    from mmcv.ops import RoIAlign
    reference, model = pair()
    x = torch.randn(1, 3, 64, 64)
    rois = torch.tensor([[0., 2., 3., 11., 13.]])
    align = RoIAlign((7, 7), spatial_scale=1 / 4, sampling_ratio=0,
                     aligned=True)
    with torch.no_grad():
        torch.testing.assert_close(align(model(x)[0], rois),
                                   align(reference(x)[0], rois),
                                   rtol=1e-5, atol=1e-5)


def test_equals_the_straightforward_formulation_fp32():
    reference, model = pair()
    x = torch.randn(2, 3, 70, 45)
    with torch.no_grad():
        for out, ref in zip(model(x), reference(x)):
            assert out.is_contiguous()  # the input's format
            torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    # training mode (batch statistics) and gradients
    for m in (reference, model):
        m.train()
        sum(o.square().mean() for o in m(x)).backward()
    grads = dict(reference.named_parameters())
    for name, p in model.named_parameters():
        torch.testing.assert_close(p.grad, grads[name].grad, rtol=1e-4,
                                   atol=1e-5, msg=name)


def test_equals_the_straightforward_formulation_bf16_autocast():
    reference, model = pair()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        outs, refs = model(x), reference(x)
    for out, ref in zip(outs, refs):
        assert out.dtype == ref.dtype
        # bf16 keeps 8 bits of mantissa: compare at its resolution
        torch.testing.assert_close(out.float(), ref.float(), rtol=3e-2,
                                   atol=3e-2)


def test_inference_form_equals_eval():
    _, model = pair()
    x = torch.randn(2, 3, 67, 50)
    with torch.no_grad():
        expected = model(x)
        optimized = optimize_for_inference(copy.deepcopy(model))
        outs = optimized(x)
    assert not any(isinstance(m, _BatchNorm) for m in optimized.modules())
    assert not any('layer_scale' in k for k in optimized.state_dict())
    for out, ref in zip(outs, expected):
        assert out.is_contiguous()
        torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)
    with torch.enable_grad():  # the eager ops on the folded weights
        for out, unfused in zip(outs, optimized(x)):
            torch.testing.assert_close(out, unfused, rtol=1e-5, atol=1e-5)


def test_inference_form_fuses_only_when_allowed(monkeypatch):
    import mmattn.models.inference as inference
    calls = []
    linear = inference._linear
    monkeypatch.setattr(inference, '_linear',
                        lambda *a, **k: calls.append(1) or linear(*a, **k))
    _, model = pair()
    optimized = optimize_for_inference(model)
    x = torch.randn(1, 3, 40, 40)
    per_call = 5 * sum(TINY['depths'])  # five fused 1×1 convs per block
    with torch.no_grad():
        optimized(x)
        assert len(calls) == per_call
        with torch.autocast('cpu', dtype=torch.bfloat16):
            optimized(x)
        optimized(x.double().float().requires_grad_())  # no_grad: fused
    assert len(calls) == 2 * per_call
    optimized(x)  # gradients wanted
    assert len(calls) == 2 * per_call
    block = optimized.block1[0]
    block.act_2 = nn.ReLU()  # no oneDNN post-op for it: the eager ops
    assert inference.VANBlockInference(VAN(TINY).block1[0]).fused


def check_compiled(model, x, train):
    """``torch.compile(model)`` gives the eager outputs (eval, no_grad) or
    the eager outputs and parameter gradients (train, with a backward
    pass), to 1e-4 of their largest element."""
    torch._dynamo.reset()
    compiled = torch.compile(model)
    model.train(train)
    if not train:
        with torch.no_grad():
            assert_close_to_scale(compiled(x), model(x), 1e-4, 'outputs')
        return
    results = []
    for m in (compiled, model):
        model.zero_grad()
        outs = m(x)
        sum((o * o).mean() for o in outs).backward()
        results.append((outs, {n: p.grad.clone()
                               for n, p in model.named_parameters()}))
    (outs, grads), (refs, ref_grads) = results
    assert_close_to_scale(outs, refs, 1e-4, 'outputs')
    # one scale for all gradients: a parameter before a batch norm in train
    # mode gets a gradient of rounding noise only
    assert_close_to_scale(grads, ref_grads, 1e-4, 'gradients')


#: Small enough to compile in seconds. The shapes are those of the compiled
#: case in test_backbone_tools.py, so that inductor's cache serves one of
#: the two compilations.
TINIER = dict(embed_dims=[8, 8, 16, 16], depths=[1, 1, 1, 1],
              mlp_ratios=[2, 2, 2, 2])


@pytest.mark.slow
@pytest.mark.parametrize('train', [False, True])
def test_torch_compile_equals_eager(train):
    torch.manual_seed(0)
    model = VAN(TINIER)
    model.init_weights()
    x = torch.randn(2 if train else 1, 3, 48, 48)
    check_compiled(model, x, train)


@pytest.mark.slow
def test_torch_compile_of_the_inference_form_equals_eager():
    torch.manual_seed(0)
    model = optimize_for_inference(randomize(VAN(TINIER)))
    check_compiled(model, torch.randn(1, 3, 48, 48), train=False)
