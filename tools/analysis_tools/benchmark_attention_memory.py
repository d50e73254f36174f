"""Peak memory and time of the heavy attention blocks against their
references, with the same weights, as ratios from one interleaved run.

- NonLocal (``embedded_gaussian``, on SDPA) against mmcv's ``NonLocal2d``,
  1×256×128×128, eval. Target: memory ≤ 0.25×, time ≤ 1.0×.
- CrissCross (one pass, no HW×HW tensor) against mmcv's
  ``CrissCrossAttention``, 1×512×97×97, eval. Target: memory ≤ 1.0×,
  time ≤ 1.0×.
- PAM (on SDPA) against the straightforward bmm formulation of the
  official ``PAM_Module`` (energy, softmax, bmm), 1×512×64×64, eval and a
  training step (forward + backward). Target: memory ≤ 0.25×.
- DNL (on SDPA) against mmseg's ``DisentangledNonLocal2d`` (an HW×HW
  matrix), 1×256×128×128, eval. Target: memory ≤ 0.25×.
- GloRe against the official ``GloRe_Unit`` formulation (its matmuls),
  1×1024×64×64, eval. Target: memory ≤ 1.0×.
- Hamburger (one-step gradient) against mmseg's ``Hamburger`` (gradient
  through every NMF update), same seed, 1×512×64×64, eval and a training
  step. Target: memory ≤ 1.0×.
- OCR (on SDPA) against mmseg's ``SpatialGatherModule`` +
  ``ObjectAttentionBlock`` given the block's region logits, 1×512×128×128,
  150 regions, eval. Target: memory ≤ 1.0×.
- LocalRelation and SANPairwise / SANPatchwise (k = 7, the values summed
  tap by tap) against the same blocks with the values unfolded
  (``F.unfold``: C·k²·H·W numbers, the straightforward PyTorch port of
  the CUDA aggregation), 1×256×64×64, eval. Target: memory ≤ 0.5×.

Each comparison is one :func:`mmattn.benchmark.compare` call: rounds
interleave the two cases, so drift of a shared machine cancels in the
ratios. Peak memory is the extra tensor memory of one call (inputs and
weights excluded), see :mod:`mmattn.benchmark`. The outputs are checked to
agree before timing.

Example::

    python tools/analysis_tools/benchmark_attention_memory.py --repeats 5
"""
import argparse
from typing import Callable, NamedTuple, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import NonLocal2d
from mmcv.ops import CrissCrossAttention
from mmseg.models.decode_heads.dnl_head import DisentangledNonLocal2d
from mmseg.models.decode_heads.ham_head import Hamburger as MMSegHamburger
from mmseg.models.decode_heads.ocr_head import (ObjectAttentionBlock,
                                                SpatialGatherModule)

from mmattn.benchmark import compare, describe_machine, format_table
from mmattn.models.attention._windows import reflect_pad
from mmattn.models.attention.criss_cross import CrissCross
from mmattn.models.attention.danet import PAM
from mmattn.models.attention.dnl import DNL
from mmattn.models.attention.glore import GloRe
from mmattn.models.attention.hamburger import Hamburger
from mmattn.models.attention.local_relation import LocalRelation
from mmattn.models.attention.non_local import NonLocal
from mmattn.models.attention.ocr import OCR
from mmattn.models.attention.san import SANPairwise, SANPatchwise

# block -> (memory target, time target) as ratios to the reference
TARGETS = dict(
    non_local=(0.25, 1.0), criss_cross=(1.0, 1.0), pam=(0.25, None),
    dnl=(0.25, None), glore=(1.0, None), hamburger=(1.0, None),
    ocr=(1.0, None), local_relation=(0.5, None), san_pairwise=(0.5, None),
    san_patchwise=(0.5, None))


class Pair(NamedTuple):
    """A comparison: input shape, reference (name, callable), our block,
    whether a training step is measured too, and whether each call starts
    from the same seed (for blocks that draw random numbers)."""
    shape: Tuple[int, int, int, int]
    ref_name: str
    reference: Callable
    ours: torch.nn.Module
    train: bool = False
    seed: bool = False


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--blocks', nargs='+', choices=list(TARGETS),
                        default=list(TARGETS))
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch.set_num_threads; default: torch default')
    parser.add_argument('--size-divisor', type=int, default=1,
                        help='divide H and W (a quick smoke run)')
    return parser.parse_args(argv)


def randomised(module):
    """Random weights (the zero-init outputs would make the work trivial)."""
    with torch.no_grad():
        for param in module.parameters():
            param.normal_(0, 0.02)
    return module.eval()


def official_pam(block):
    """``PAM_Module.forward`` of the official DANet code: explicit bmm."""

    def forward(x):
        b, c, h, w = x.shape
        query = block.query_conv(x).view(b, -1, h * w).permute(0, 2, 1)
        key = block.key_conv(x).view(b, -1, h * w)
        attention = torch.softmax(torch.bmm(query, key), dim=-1)
        value = block.value_conv(x).view(b, -1, h * w)
        out = torch.bmm(value, attention.permute(0, 2, 1))
        return block.gamma * out.view(b, c, h, w) + x

    return forward


def official_glore(block):
    """``GloRe_Unit.forward`` of the official code (``normalize=False``)."""

    def forward(x):
        n = x.size(0)
        state = block.conv_state(x).view(n, block.num_s, -1)
        proj = block.conv_proj(x).view(n, block.num_n, -1)
        nodes = torch.matmul(state, proj.permute(0, 2, 1))
        h = block.gcn.conv1(nodes.permute(0, 2, 1).contiguous()).permute(
            0, 2, 1)
        rel = block.gcn.conv2(torch.relu(h + nodes))
        y = torch.matmul(rel, proj).view(n, block.num_s, *x.size()[2:])
        return x + block.blocker(block.conv_extend(y))

    return forward


def seeded(fn):
    """``fn`` with the global seed reset before each call (Hamburger draws
    its bases from it)."""

    def run(x):
        torch.manual_seed(0)
        return fn(x)

    return run


def mmseg_ocr(block):
    """mmseg's gather + object attention on the OCR block's region
    logits."""
    gather = SpatialGatherModule(1)
    attention = ObjectAttentionBlock(
        block.in_channels, block.channels, 1, conv_cfg=None,
        norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU')).eval()
    attention.load_state_dict(block.state_dict(), strict=False)
    return lambda x: attention(x, gather(x, block.classifier(x)))


def unfolded_values(block):
    """``block`` with the values unfolded (``F.unfold``) and summed in one
    product, the same weights: LocalRelation (zero padding, contiguous
    groups) or SAN (reflection, weight channel c mod C/share)."""
    k, d = block.kernel_size, block.dilation
    pad = d * (k // 2)

    def local_relation(x):
        n, c, h, w = x.shape
        query = block.query(x)[:, :, None]
        keys = F.unfold(block.key(x), k, d, pad).view(n, -1, k * k, h, w)
        logits = (query * keys if block.composability == 'dot_product' else
                  -(query - keys)**2)
        logits = logits + block.geometry_prior()[..., None, None]
        inside = F.unfold(x.new_ones(1, 1, h, w), k, d, pad).view(
            1, 1, k * k, h, w) > 0.5
        weights = logits.masked_fill(~inside, float('-inf')).softmax(2)
        values = F.unfold(x, k, d, pad).view(n, block.groups, -1, k * k, h,
                                             w)
        return (weights[:, :, None] * values).sum(3).view(n, c, h, w)

    def san(x):
        n, _, h, w = x.shape
        query = block.conv1(x)
        weights = block.attention(x, query,
                                  reflect_pad(block.conv2(x), pad))
        values = F.unfold(reflect_pad(block.conv3(x), pad), k, d).view(
            n, -1, block.weight_channels, k * k, h, w)
        return (weights[:, None] * values).sum(3).view(n, -1, h, w)

    return local_relation if isinstance(block, LocalRelation) else san


def pairs():
    """``{block: Pair}``."""
    torch.manual_seed(0)
    mmcv_nl = randomised(NonLocal2d(256))
    nl = NonLocal(256).eval()
    nl.load_state_dict(mmcv_nl.state_dict())
    mmcv_cc = randomised(CrissCrossAttention(512))
    cc = CrissCross(512, recurrence=1).eval()
    cc.load_state_dict(mmcv_cc.state_dict())
    pam = randomised(PAM(512))
    mmseg_dnl = randomised(DisentangledNonLocal2d(
        256, reduction=2, use_scale=True, mode='embedded_gaussian',
        temperature=0.05))
    dnl = DNL(256).eval()
    dnl.load_state_dict(mmseg_dnl.state_dict())
    glore = randomised(GloRe(1024))
    mmseg_ham = randomised(MMSegHamburger(512, dict(MD_R=64),
                                          norm_cfg=dict(type='BN')))
    ham = Hamburger(512).eval()
    ham.load_state_dict(mmseg_ham.state_dict())
    ocr = randomised(OCR(512, num_classes=150))
    local_relation = randomised(LocalRelation(256))
    san_pairwise = randomised(SANPairwise(256))
    san_patchwise = randomised(SANPatchwise(256))
    return dict(
        non_local=Pair((1, 256, 128, 128), 'mmcv NonLocal2d', mmcv_nl, nl),
        criss_cross=Pair((1, 512, 97, 97), 'mmcv CrissCrossAttention',
                         mmcv_cc, cc),
        pam=Pair((1, 512, 64, 64), 'bmm (official PAM_Module)',
                 official_pam(pam), pam, train=True),
        dnl=Pair((1, 256, 128, 128), 'mmseg DisentangledNonLocal2d',
                 mmseg_dnl, dnl),
        glore=Pair((1, 1024, 64, 64), 'official GloRe_Unit',
                   official_glore(glore), glore),
        hamburger=Pair((1, 512, 64, 64), 'mmseg Hamburger', mmseg_ham,
                       ham, train=True, seed=True),
        ocr=Pair((1, 512, 128, 128), 'mmseg SpatialGather + ObjectAttention',
                 mmseg_ocr(ocr), ocr),
        local_relation=Pair((1, 256, 64, 64), 'unfolded values',
                            unfolded_values(local_relation), local_relation),
        san_pairwise=Pair((1, 256, 64, 64), 'unfolded values',
                          unfolded_values(san_pairwise), san_pairwise),
        san_patchwise=Pair((1, 256, 64, 64), 'unfolded values',
                           unfolded_values(san_patchwise), san_patchwise))


def no_grad(fn, x):
    def run():
        with torch.no_grad():
            return fn(x)
    return run


def train_step(fn, x):
    def run():
        fn(x.detach().requires_grad_()).sum().backward()
    return run


def verdict(what, ratio, target):
    text = f'{what} {ratio:.2f}×'
    if target is not None:
        met = 'met' if ratio <= target else 'NOT met'
        text += f' (target ≤ {target}: {met})'
    return text


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(describe_machine())
    table = pairs()
    for block in args.blocks:
        shape, ref_name, reference, ours, train, seed = table[block]
        name = type(ours).__name__
        if seed:
            reference, ours = seeded(reference), seeded(ours)
        torch.manual_seed(0)
        n, c, h, w = shape
        shape = (n, c, h // args.size_divisor, w // args.size_divisor)
        x = torch.randn(*shape)
        with torch.no_grad():
            diff = (ours(x) - reference(x)).abs().max().item()
        modes = [('eval', no_grad)]
        if train:
            modes.append(('train step', train_step))
        for mode, wrap in modes:
            results = compare({ref_name: wrap(reference, x),
                               f'mmattn {name}': wrap(ours, x)},
                              warmup=args.warmup, repeats=args.repeats)
            # the targets are stated at full size
            mem_target, time_target = TARGETS[block] \
                if args.size_divisor == 1 else (None, None)
            ref, res = results
            print(f'\n{name} {mode}, {tuple(shape)}, '
                  f'{args.repeats} interleaved rounds, max |difference| '
                  f'{diff:.1e}\n')
            print(format_table(results))
            print('\n' + verdict('memory', res.peak_bytes / ref.peak_bytes,
                                 mem_target) + ', ' +
                  verdict('time', res.median / ref.median, time_target))


if __name__ == '__main__':
    main()
