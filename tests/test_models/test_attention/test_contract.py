"""The plug-in contract (``docs/blocks.md``), checked for every registered
attention block: registering a block is enough to be covered here.

Per block: class record (paper, explicit ``_abbr_``); builds at 16, 64 and 2048
channels; keeps the shape and the NCHW layout for odd, non-square, 1×1 and
batch-1 inputs in train and eval mode; finite gradients for every parameter;
bf16 autocast on CPU (forward close to float32, backward finite); ONNX export
(opset 17, ``dynamo=False``) matching onnxruntime to 1e-4; torch.compile
equal to eager in eval and in training with a backward pass; its own init
(``reset_parameters``) after a host's init, identity at init where claimed,
never over a Pretrained load or its own ``init_cfg``; mmdet ResNet plug-in
at every position, twice with a postfix and next to another block; bad
arguments (``True`` as a count among them) raise a ValueError naming them.

Shapes are tiny (C = 16, 7×9) to keep the file fast. Two allowances, both
PyTorch's and not a block's: a BN over one value per channel cannot train,
so at batch 1 in train mode a block whose BN sees pooled N×C×1×1 vectors
refuses with its own message (:data:`POOLED_BN`), and on a 1×1 map, where
any BN sees one value (the host's own BNs too), PyTorch's error is accepted;
and each ONNX round trip runs in a forked child, so that an exporter crash
fails one test.

To adapt the checks to a block, add an entry to the dicts below with a
comment saying why. Never use them to hide a failure: a block that breaks
the contract is reported, not exempted.
"""
import copy
import inspect
import io
import multiprocessing

import numpy as np
import onnxruntime
import pytest
import torch
from block_checks import assert_close_to_scale, randomised
from mmcv.cnn import ConvModule
from mmdet.models.backbones.resnet import Bottleneck
from mmengine.model import BaseModule, initialize
from torch import nn

from mmattn.models.attention import AttentionBlock, Paper, registered_blocks
from mmattn.models.attention.base import FAMILIES
from mmattn.registry import MODELS

BLOCKS = registered_blocks()
NAMES = sorted(BLOCKS)

# Constructor kwargs used in every check, for blocks whose defaults are
# correct but needlessly slow at test size. Add `'Name': dict(...)  # why`.
EXTRA_KWARGS = {
    'GSoP': dict(hidden_channels=16),  # default d=128: a 128×128 covariance
    'EncodingContext': dict(num_codes=8),  # default K=32
    # SKNet's G = 32 groups need in_channels divisible by 32; the checks
    # build 16-channel blocks (SK(16) raises, naming groups).
    'SK': dict(groups=8),
    # fresh random bases at every call (the paper's default) make two calls
    # differ; the checks compare calls, so they use the fixed bases
    'Hamburger': dict(rand_init=False),
    # the default 7×7 window unrolls 49 taps into the graph (torch.compile
    # then takes minutes); a 3×3 window runs the same code
    'LocalRelation': dict(kernel_size=3),
    'SANPairwise': dict(kernel_size=3),
    'SANPatchwise': dict(kernel_size=3),
}

# Bad arguments beyond the generic ones (in_channels=0 for every block,
# ratio=0 / reduction=0 for blocks that take them): name -> list of
# (kwargs, name of the argument the message must contain).
BAD_ARGS = {
    'SE': [(dict(in_channels=16, ratio=1 / 32), 'ratio')],
    'ECA': [(dict(in_channels=16, kernel_size=4), 'kernel_size')],
    'GCT': [(dict(in_channels=16, mode='l3'), 'mode')],
    'FcaNet': [(dict(in_channels=24), 'in_channels'),
               (dict(in_channels=32, freq_sel_method='top3'),
                'freq_sel_method'),
               (dict(in_channels=32, dct_size=8), 'dct_size')],
    'GSoP': [(dict(in_channels=16, hidden_channels=0), 'hidden_channels')],
    'EncodingContext': [(dict(in_channels=16, num_codes=0), 'num_codes')],
    'BilinearAttention': [(dict(in_channels=8, ratio=1 / 16), 'ratio')],
    'GE': [(dict(in_channels=16, extent=3), 'extent'),
           (dict(in_channels=16, use_mlp=True, ratio=1 / 32), 'ratio')],
    'AttentionGate': [(dict(in_channels=16, sub_sample=0), 'sub_sample'),
                      (dict(in_channels=16, gating_channels=0),
                       'gating_channels')],
    'STN': [(dict(in_channels=16, padding_mode='edge'), 'padding_mode')],
    'DNL': [(dict(in_channels=16, temperature=0), 'temperature')],
    'Hamburger': [(dict(in_channels=16, num_splits=3), 'num_splits')],
    'OCR': [(dict(in_channels=16, num_classes=0), 'num_classes')],
    'LocalRelation': [(dict(in_channels=16, share_planes=3), 'share_planes'),
                      (dict(in_channels=16, composability='cosine'),
                       'composability')],
    'SANPairwise': [(dict(in_channels=16, share_planes=3), 'share_planes')],
    'SANPatchwise': [(dict(in_channels=16, share_planes=3), 'share_planes')],
    'SK': [(dict(in_channels=16, dilations=(1, 0)), r'dilations\[1\]'),
           (dict(in_channels=16, dilations=(1, )), 'dilations'),
           (dict(in_channels=16, groups=True), 'groups')],
    'APNB': [(dict(in_channels=16, pool_scales=(1, 0)),
              r'pool_scales\[1\]'),
             (dict(in_channels=16, pool_scales=()), 'pool_scales')],
    'ResidualAttention': [(dict(in_channels=16, trunk_units=-1),
                           'trunk_units'),
                          (dict(in_channels=16, pre_post_units=True),
                           'pre_post_units')],
    'BAM': [(dict(in_channels=16, num_dilated_convs=-1),
             'num_dilated_convs')],
    'SCConv': [(dict(in_channels=15), 'in_channels')],
    'MHSA': [(dict(in_channels=16, stride=3), 'stride'),
             (dict(in_channels=16, heads=True), 'heads')],
    'SASA': [(dict(in_channels=16, stride=True, heads=4), 'stride'),
             (dict(in_channels=16, window_size=4, heads=4), 'window_size')],
    'CrissCross': [(dict(in_channels=16, reduction=32), 'reduction')],
    'PAM': [(dict(in_channels=16, reduction=32), 'reduction')],
}

# Blocks whose BatchNorm normalises pooled N×C×1×1 vectors, as in their
# official code: they cannot train on one image per GPU and say so at the
# first forward (name -> constructor kwargs that build that BN).
POOLED_BN = {
    'SRM': {},
    'BAM': {},
    'SK': {},
    'BilinearAttention': {},
    'GE': dict(extra_params=True),  # GE-θ's global gather
}

# mmdet's Kaiming init for ResNets (``ResNet.init_cfg`` when training from
# scratch), applied before ``init_weights`` in the identity test.
MMDET_RESNET_INIT = [
    dict(type='Kaiming', layer='Conv2d'),
    dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
]

# BN over a single value per channel cannot train (PyTorch raises): on a
# 1×1 map at batch 1 every BN does.
SINGLE_VALUE_BN = 'Expected more than 1 value per channel when training'


def refuses_batch_1(name):
    """The start of the message of a block in :data:`POOLED_BN`."""
    return f'{name} cannot train on a batch of 1 per GPU'


def build(name, in_channels=16, **kwargs):
    cfg = dict(type=f'mmattn.{name}', in_channels=in_channels)
    cfg.update(EXTRA_KWARGS.get(name, {}), **kwargs)
    return MODELS.build(cfg)


def plugin_cfg(name, **kwargs):
    return dict(type=f'mmattn.{name}', **EXTRA_KWARGS.get(name, {}),
                **kwargs)


def seeded_input(*shape, dtype=torch.float32):
    torch.manual_seed(0)
    return torch.randn(*shape, dtype=dtype)


def test_registry_is_not_empty():
    assert len(NAMES) >= 12


def test_abbreviations_are_unique():
    abbrs = [cls._abbr_ for cls in BLOCKS.values()]
    assert len(abbrs) == len(set(abbrs)), sorted(abbrs)


@pytest.mark.parametrize('name', NAMES)
def test_class_record(name):
    cls = BLOCKS[name]
    assert issubclass(cls, AttentionBlock)
    assert '_abbr_' in vars(cls), 'set _abbr_ on the class itself'
    assert cls._abbr_.isidentifier()
    assert isinstance(cls.paper, Paper)
    assert cls.paper.family in FAMILIES
    assert cls.paper.url.startswith('https://')
    assert cls.__doc__ and 'Args:' in cls.__doc__
    params = inspect.signature(cls.__init__).parameters
    assert list(params)[1] == 'in_channels'
    assert 'init_cfg' in params


@pytest.mark.parametrize('name', NAMES)
def test_builds_for_wide_inputs(name):
    # on the meta device: argument checks and shapes without allocating
    # (CondConv at 2048 channels holds 150M parameters)
    with torch.device('meta'):
        block = build(name, in_channels=2048)
    assert isinstance(block, BLOCKS[name])


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('mode', ['train', 'eval'])
def test_keeps_shape(name, mode):
    torch.manual_seed(0)
    block = build(name)
    block.train(mode == 'train')
    shapes = [(2, 16, 7, 9), (2, 16, 1, 1), (2, 16, 12, 10), (1, 16, 7, 9),
              (1, 16, 1, 1)]
    with torch.no_grad():
        for shape in shapes:
            x = seeded_input(*shape)
            try:
                out = block(x)
            except ValueError as error:  # only BN on one value may refuse
                assert mode == 'train' and shape[0] == 1, f'{shape}: {error}'
                assert str(error).startswith(refuses_batch_1(name)) or \
                    shape[2:] == (1, 1) and SINGLE_VALUE_BN in str(error), \
                    f'{shape}: {error}'
                continue
            assert out.shape == x.shape, shape
            assert out.dtype == x.dtype
            # NCHW in, NCHW out: mmcv's CPU ops (RoIAlign among them) read
            # their input as NCHW without checking.
            assert out.is_contiguous(), shape
            assert torch.isfinite(out).all(), shape
        wide = build(name, in_channels=64).train(mode == 'train')
        x = seeded_input(2, 64, 5, 6)
        assert wide(x).shape == x.shape


@pytest.mark.parametrize('name', NAMES)
def test_gradients_are_finite(name):
    torch.manual_seed(0)
    block = build(name).train()
    x = seeded_input(2, 16, 7, 9).requires_grad_()
    (block(x) * torch.randn(2, 16, 7, 9)).sum().backward()
    assert torch.isfinite(x.grad).all()
    for pname, param in block.named_parameters():
        assert param.grad is not None, f'{pname} gets no gradient'
        assert torch.isfinite(param.grad).all(), pname


@pytest.mark.parametrize('name', NAMES)
def test_bf16_autocast(name):
    torch.manual_seed(0)
    block = build(name).eval()
    # the reference is float32 on the same (bf16) input: a block may be
    # sensitive to its input at random init (RGA: 0.5 from the rounding
    # alone), and what is checked here is the block's own bf16 arithmetic
    x = seeded_input(2, 16, 7, 9).bfloat16()
    with torch.no_grad():
        ref = block(x.float())
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = block(x)
    assert out.shape == x.shape
    torch.testing.assert_close(
        out.float(), ref, atol=5e-2, rtol=5e-2,
        msg=lambda m: f'{name} in bf16: {m}')
    block.train()
    x = x.requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = block(x)
    out.float().sum().backward()
    assert torch.isfinite(x.grad).all()


def onnx_roundtrip(block, x):
    """Export to ONNX, run it with onnxruntime, compare with eager."""
    buffer = io.BytesIO()
    torch.onnx.export(block, (x, ), buffer, dynamo=False, opset_version=17,
                      input_names=['x'], output_names=['y'])
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        buffer.getvalue(), options, providers=['CPUExecutionProvider'])
    (out, ) = session.run(None, {'x': x.numpy()})
    with torch.no_grad():
        ref = block(x).numpy()
    np.testing.assert_allclose(out, ref, atol=1e-4, rtol=1e-4)


def run_forked(fn, *args, timeout=300):
    """Run ``fn(*args)`` in a forked child; raise AssertionError with its
    error, or if it dies. The TorchScript ONNX exporter can kill the
    interpreter (a SIGFPE in its ``index_put`` symbolic has been seen), and
    that must fail one test, not end the whole run."""
    ctx = multiprocessing.get_context('fork')
    errors = ctx.SimpleQueue()

    def child():
        torch.set_num_threads(1)  # OpenMP pools do not survive a fork
        try:
            fn(*args)
            errors.put('')
        except BaseException as error:  # noqa: B036 (reported to parent)
            errors.put(f'{type(error).__name__}: {error}'[:4000])

    process = ctx.Process(target=child)
    process.start()
    process.join(timeout)
    if process.is_alive():
        process.kill()
        raise AssertionError(f'did not finish in {timeout} s')
    if process.exitcode != 0:
        raise AssertionError(f'crashed the interpreter (exit code '
                             f'{process.exitcode}, a negative one is a '
                             f'signal)')
    error = errors.get()
    if error:
        raise AssertionError(error)


@pytest.mark.parametrize('name', NAMES)
def test_onnx_export_matches_eager(name):
    torch.manual_seed(0)
    block = build(name).eval()
    run_forked(onnx_roundtrip, block, seeded_input(1, 16, 7, 9))


@pytest.mark.parametrize(
    'name', [n for n in NAMES if BLOCKS[n].identity_at_init])
def test_identity_after_host_init(name):
    """Whatever the weights were, a host's Kaiming init followed by
    ``init_weights()`` gives the identity (a pretrained ResNet is not
    disturbed at step 0)."""
    torch.manual_seed(0)
    block = build(name)
    with torch.no_grad():
        for param in block.parameters():
            param.normal_()
    initialize(block, MMDET_RESNET_INIT)
    block.init_weights()
    x = seeded_input(2, 16, 7, 9)
    with torch.no_grad():
        for mode in (True, False):
            out = block.train(mode)(x)
            torch.testing.assert_close(out, x, atol=1e-5, rtol=0)


def test_identity_blocks_exist():
    assert any(cls.identity_at_init for cls in BLOCKS.values())


def seed_resets(block, seed=1):
    """``block.reset_parameters`` draws from ``seed`` whenever it runs, so
    that its random parts are the same inside ``init_weights`` (after
    mmengine's draws) as in a direct call."""
    reset = block.reset_parameters

    def seeded():
        torch.manual_seed(seed)
        reset()

    block.reset_parameters = seeded
    return block


def snapshot(block):
    return {k: v.clone() for k, v in block.state_dict().items()}


OWN_INIT = [n for n in NAMES if BLOCKS[n].reset_parameters
            is not AttentionBlock.reset_parameters]


def test_own_init_blocks_exist():
    assert {'GCT', 'SRM', 'STN', 'CBAM', 'NonLocal', 'GlobalContext'} <= \
        set(OWN_INIT)


@pytest.mark.parametrize('name', OWN_INIT)
def test_own_init_survives_a_host_init(name):
    """After a host's Kaiming init, ``init_weights()`` leaves every tensor
    that ``reset_parameters()`` sets as a fresh reset sets it."""
    torch.manual_seed(0)
    block = randomised(build(name))
    before = snapshot(block)
    fresh = copy.deepcopy(block)
    torch.manual_seed(1)
    fresh.reset_parameters()
    expected = snapshot(fresh)
    touched = [k for k in before if not torch.equal(before[k], expected[k])]
    assert touched, 'reset_parameters() changes nothing'
    initialize(block, MMDET_RESNET_INIT)
    seed_resets(block).init_weights()
    after = block.state_dict()
    for key in touched:
        assert torch.equal(after[key], expected[key]), key


@pytest.mark.parametrize('name', NAMES)
def test_pretrained_load_is_not_overwritten(name, tmp_path):
    torch.manual_seed(0)
    source = randomised(build(name))
    checkpoint = tmp_path / 'block.pth'
    torch.save(source.state_dict(), checkpoint)
    block = build(name, init_cfg=dict(type='Pretrained',
                                      checkpoint=str(checkpoint)))
    block.init_weights()
    saved = source.state_dict()
    assert block.state_dict().keys() == saved.keys()
    for key, value in block.state_dict().items():
        assert torch.equal(value, saved[key]), key


@pytest.mark.parametrize('name', NAMES)
def test_own_init_cfg_is_not_overwritten(name):
    """A block given an ``init_cfg`` gets what mmengine's init makes of it,
    and its ``reset_parameters()`` does not run over that."""
    init_cfg = dict(type='Constant', val=0.5, layer='Conv2d')
    torch.manual_seed(0)
    block = randomised(build(name, init_cfg=init_cfg))
    expected = copy.deepcopy(block)
    torch.manual_seed(1)
    BaseModule.init_weights(expected)  # mmengine's init alone
    torch.manual_seed(1)
    block.init_weights()
    after = block.state_dict()
    for key, value in expected.state_dict().items():
        assert torch.equal(after[key], value), key
    # the init_cfg took: on the convs that mmcv's ConvModule does not re-init
    wrapped = {m.conv for m in block.modules() if isinstance(m, ConvModule)}
    convs = [m for m in block.modules()
             if type(m) is nn.Conv2d and m not in wrapped]
    assert not convs or any(torch.all(m.weight == 0.5) for m in convs)


@pytest.mark.parametrize('name', sorted(POOLED_BN))
def test_batch_1_is_refused_with_the_remedies(name):
    """A BN over pooled vectors cannot train on one image (as in the official
    code); the block says so in one line, and each remedy works: a GN, two
    images, or eval mode."""
    kwargs = dict(in_channels=64, **POOLED_BN[name])
    x = seeded_input(1, 64, 7, 9)
    block = build(name, **kwargs).train()
    with pytest.raises(ValueError) as error:
        block(x)
    message = str(error.value)
    assert message.startswith(refuses_batch_1(name))
    assert '\n' not in message
    for remedy in ("norm_cfg=dict(type='SyncBN')", "type='GN'",
                   '2 or more images per GPU'):
        assert remedy in message
    gn = build(name, norm_cfg=dict(type='GN', num_groups=1), **kwargs)
    assert torch.isfinite(gn.train()(x)).all()
    assert block(seeded_input(2, 64, 7, 9)).shape == (2, 64, 7, 9)
    assert block.eval()(x).shape == x.shape


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('position,channels', [('after_conv1', 16),
                                               ('after_conv2', 16),
                                               ('after_conv3', 64)])
def test_mmdet_resnet_plugin(name, position, channels):
    torch.manual_seed(0)
    block = Bottleneck(
        64, 16, plugins=[dict(cfg=plugin_cfg(name), position=position)])
    names = getattr(block, f'{position}_plugin_names')
    assert names == [BLOCKS[name]._abbr_]
    plugin = getattr(block, names[0])
    assert isinstance(plugin, BLOCKS[name])
    initialize(block, MMDET_RESNET_INIT)
    block.init_weights()
    # built for the right width: same parameter shapes as a direct build
    direct = build(name, in_channels=channels)
    assert {k: v.shape for k, v in plugin.state_dict().items()} == \
        {k: v.shape for k, v in direct.state_dict().items()}
    x = seeded_input(2, 64, 7, 9)
    assert block(x).shape == x.shape


@pytest.mark.parametrize('name', NAMES)
def test_mmdet_resnet_two_plugins_stack(name):
    """The same block twice (``postfix``) and another block next to it; at
    one position, the second block gets the first one's output."""
    other = 'SE' if name != 'SE' else 'ECA'
    block = Bottleneck(64, 16, plugins=[
        dict(cfg=plugin_cfg(name, postfix=1), position='after_conv3'),
        dict(cfg=plugin_cfg(name, postfix=2), position='after_conv3'),
        dict(cfg=plugin_cfg(other), position='after_conv2'),
    ])
    abbr = BLOCKS[name]._abbr_
    assert block.after_conv3_plugin_names == [f'{abbr}1', f'{abbr}2']
    assert block.after_conv2_plugin_names == [BLOCKS[other]._abbr_]
    seen = {}
    for layer in (f'{abbr}1', f'{abbr}2'):
        getattr(block, layer).register_forward_hook(
            lambda m, args, out, layer=layer: seen.update(
                {layer: (args[0], out)}))
    x = seeded_input(2, 64, 7, 9)
    block.eval()
    with torch.no_grad():
        assert block(x).shape == x.shape
    assert seen[f'{abbr}2'][0] is seen[f'{abbr}1'][1]


@pytest.mark.parametrize('name', NAMES)
def test_bad_arguments_name_the_argument(name):
    # True is no count: a bool is refused wherever an int is asked for
    cases = [(dict(in_channels=0), 'in_channels'),
             (dict(in_channels=True), 'in_channels')]
    params = inspect.signature(BLOCKS[name].__init__).parameters
    cases += [(dict(in_channels=16, **{arg: value}), arg)
              for arg in ('ratio', 'reduction') if arg in params
              for value in (0, True)]
    cases += BAD_ARGS.get(name, [])
    for kwargs, arg in cases:
        cfg = dict(EXTRA_KWARGS.get(name, {}), **kwargs)
        with pytest.raises(ValueError, match=arg):
            BLOCKS[name](**cfg)


# The registry in a few groups: each group is one module that runs its
# blocks on the same input, so each group compiles once per mode.
COMPILE_GROUPS = 4


def compile_groups():
    return [NAMES[i::COMPILE_GROUPS] for i in range(COMPILE_GROUPS)]


class BlockGroup(nn.Module):
    """The blocks ``names`` side by side: ``x -> (block(x), ...)``."""

    def __init__(self, names):
        super().__init__()
        self.blocks = nn.ModuleList(build(name) for name in names)

    def forward(self, x):
        return tuple(block(x) for block in self.blocks)


def compiled_and_eager(names, train):
    """``{result: tensors}`` of ``torch.compile(group)`` and of the same
    group in eager mode, with random weights and BN statistics: each
    block's output and, in training, the gradient of a loss with respect to
    the input and each block's parameter gradients."""
    group = randomised(BlockGroup(names)).train(train)
    eager = copy.deepcopy(group)  # a training forward moves EMAU's bases
    torch._dynamo.reset()
    results = []
    for model, module in ((torch.compile(group, dynamic=False), group),
                          (eager, eager)):
        x = seeded_input(2, 16, 7, 9).requires_grad_(train)
        torch.manual_seed(1)  # the same dropout masks (fallback_random)
        with torch.set_grad_enabled(train):
            outs = model(x)
        result = {f'{name} output': out for name, out in zip(names, outs)}
        if train:
            sum((out * out).mean() for out in outs).backward()
            result['input gradient'] = x.grad
            for name, block in zip(names, module.blocks):
                grads = {k: p.grad for k, p in block.named_parameters()}
                if grads:  # GE without its parameters has none
                    result[f'{name} parameter gradients'] = grads
        results.append(result)
    return results


def assert_compiled_like_eager(names, train):
    """Each result to 1e-4 of its largest element (``block_checks``)."""
    with torch._inductor.config.patch(fallback_random=True):
        got, expected = compiled_and_eager(names, train)
    assert got.keys() == expected.keys()
    for what, ref in expected.items():
        assert_close_to_scale(got[what], ref, 1e-4, what)


@pytest.mark.slow
@pytest.mark.parametrize('train', [False, True], ids=['eval', 'train'])
@pytest.mark.parametrize('group', range(COMPILE_GROUPS))
def test_torch_compile_equals_eager(group, train):
    """``torch.compile`` (inductor, static shapes) gives the eager results:
    in eval mode under no_grad, and in train mode with a backward pass (the
    input's and every parameter's gradients too)."""
    assert_compiled_like_eager(compile_groups()[group], train)
