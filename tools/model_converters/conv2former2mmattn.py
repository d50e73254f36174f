"""Convert an official Conv2Former checkpoint to mmattn's Conv2Former layout.

The official checkpoints (HVision-NKU/Conv2Former, timm ``.pth.tar``) hold
the model under ``state_dict``. This writes ``{'state_dict': ...}`` with the
keys of :class:`mmattn.Conv2Former` (see
:func:`~mmattn.models.backbones.conv2former.convert_official_conv2former`),
without the classifier (``head.*``, ``pred.*``), in fp32, after checking
that every key fits the architecture read off the weights. The result loads
with ``init_cfg=dict(type='Pretrained', checkpoint=DST)``. The official file
loads the same way, so converting is optional: it checks the file once and
sheds the optimizer state that training checkpoints carry.

Example::

    python tools/model_converters/conv2former2mmattn.py \\
        conv2former_t.pth.tar pretrain/conv2former_t.pth
"""
import argparse
import os
import os.path as osp
import re

import torch

from mmattn.checkpoint import load_state_dict_file
from mmattn.models.backbones.conv2former import (Conv2Former,
                                                 convert_official_conv2former)

CLASSIFIER = re.compile(r'^(head|pred)\.')


def infer_arch(state_dict: dict) -> dict:
    """``embed_dims``, ``depths``, ``kernel_size`` and ``mlp_ratios`` of
    converted weights."""
    depths = {}
    for key in state_dict:
        found = re.match(r'stages\.(\d+)\.(\d+)\.', key)
        if found:
            stage, block = map(int, found.groups())
            depths[stage] = max(depths.get(stage, 0), block + 1)
    if not depths:
        raise KeyError('no stages.{i}.{j}.* keys: not a Conv2Former')
    stages = range(len(depths))
    dims = [state_dict[f'stages.{i}.0.layer_scale_1'].numel() for i in stages]
    hidden = [state_dict[f'stages.{i}.0.mlp.fc1.weight'].shape[0]
              for i in stages]
    return dict(
        embed_dims=dims, depths=[depths[i] for i in stages],
        kernel_size=state_dict['stages.0.0.attn.dwconv.weight'].shape[-1],
        mlp_ratios=[h // d for h, d in zip(hidden, dims)])


def convert(src: str, dst: str):
    """Convert ``src`` to ``dst``; returns the state dict and the arch."""
    state_dict = load_state_dict_file(src)
    state_dict = {k[len('module.'):] if k.startswith('module.') else k: v
                  for k, v in state_dict.items()}
    state_dict = {
        k: v.float() if v.is_floating_point() else v
        for k, v in convert_official_conv2former(state_dict).items()
        if not CLASSIFIER.match(k)
    }
    arch = infer_arch(state_dict)
    with torch.device('meta'):
        model = Conv2Former(arch)
    # the output norms are the dense-prediction model's own, not the
    # classifier's
    expected = {k: v for k, v in model.state_dict().items()
                if not k.startswith('norm')}
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    shapes = sorted(k for k in set(expected) & set(state_dict)
                    if expected[k].shape != state_dict[k].shape)
    if missing or unexpected or shapes:
        raise KeyError(f'{src} does not fit Conv2Former({arch}): missing '
                       f'{missing}, unexpected {unexpected}, shapes differ '
                       f'for {shapes}')
    if osp.dirname(dst):
        os.makedirs(osp.dirname(dst), exist_ok=True)
    torch.save(dict(state_dict=state_dict), dst)
    return state_dict, arch


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official checkpoint (.pth.tar)')
    parser.add_argument('dst', help='output path')
    args = parser.parse_args()
    state_dict, arch = convert(args.src, args.dst)
    names = [name for name, spec in Conv2Former.arch_zoo.items()
             if {'mlp_ratio': 4, **spec} == arch]
    params = sum(v.numel() for k, v in state_dict.items()
                 if not k.endswith(('running_mean', 'running_var',
                                    'num_batches_tracked')))
    print(f'{args.dst}: arch {names[0] if names else arch}, '
          f'{len(state_dict)} tensors, {params / 1e6:.2f}M parameters')


if __name__ == '__main__':
    main()
