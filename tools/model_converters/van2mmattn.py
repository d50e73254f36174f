"""Convert a VAN checkpoint (official, mmpretrain or mmseg projects/van) to
mmattn's VAN layout.

The layout is detected from the key names
(:func:`~mmattn.models.backbones.van.detect_van_format`) and mapped by
:func:`~mmattn.models.backbones.van.convert_van_state_dict`, the function
``VAN.init_weights`` uses; the file is read with the safe loader
(``weights_only``). The classifier head and, for whole-model checkpoints,
everything outside ``backbone.`` are left out. The result is checked
strictly against a ``VAN`` of the architecture the weights imply and
written as ``{'state_dict': ...}`` in fp32.

Converting is optional (``init_cfg=dict(type='Pretrained', checkpoint=SRC)``
loads every layout directly); it saves the mapping at each start and sheds
the optimizer state of training checkpoints.

Example::

    python tools/model_converters/van2mmattn.py van_b2.pth \\
        pretrain/van-b2_in1k.pth
"""
import argparse
import os
import os.path as osp
import re

import torch

from mmattn.checkpoint import CheckpointError, load_state_dict_file
from mmattn.models.backbones.van import (VAN, convert_van_state_dict,
                                         detect_van_format)


def infer_arch(state_dict: dict) -> dict:
    """The VAN arch dict (embed_dims, depths, mlp_ratios) of mmattn-layout
    weights."""
    stages = sorted({int(m.group(1)) for k in state_dict
                     for m in [re.match(r'patch_embed(\d+)\.', k)] if m})
    arch = dict(embed_dims=[], depths=[], mlp_ratios=[])
    for i in stages:
        dims = state_dict[f'patch_embed{i}.proj.weight'].shape[0]
        blocks = {int(m.group(1)) for k in state_dict
                  for m in [re.match(rf'block{i}\.(\d+)\.', k)] if m}
        hidden = state_dict[f'block{i}.0.mlp.fc1.weight'].shape[0]
        arch['embed_dims'].append(dims)
        arch['depths'].append(len(blocks))
        arch['mlp_ratios'].append(hidden // dims)
    return arch


def arch_name(arch: dict) -> str:
    for name, settings in VAN.arch_zoo.items():
        if name.startswith('b') and settings['embed_dims'] == \
                arch['embed_dims'] and settings['depths'] == arch['depths']:
            return name
    return 'custom'


def convert(src: str, dst: str):
    """Convert ``src`` to ``dst``; returns (layout, arch, state dict)."""
    state_dict = load_state_dict_file(src)
    layout = detect_van_format(state_dict)
    state_dict = {
        k: v.float() if v.is_floating_point() else v
        for k, v in convert_van_state_dict(state_dict).items()
        if not any(re.search(p, k) for p in VAN.classifier_keys)
    }
    arch = infer_arch(state_dict)
    try:
        VAN(arch).load_state_dict(state_dict, strict=True)
    except (RuntimeError, KeyError, ValueError) as error:
        raise CheckpointError(
            f'{src!r} ({layout} layout) does not fit VAN({arch}): '
            f'{error}') from None
    if osp.dirname(dst):
        os.makedirs(osp.dirname(dst), exist_ok=True)
    torch.save(dict(state_dict=state_dict), dst)
    return layout, arch, state_dict


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='VAN checkpoint in any known layout')
    parser.add_argument('dst', help='output path')
    args = parser.parse_args()
    layout, arch, state_dict = convert(args.src, args.dst)
    params = sum(v.numel() for k, v in state_dict.items()
                 if not k.endswith(('running_mean', 'running_var',
                                    'num_batches_tracked')))
    print(f'{args.src}: {layout} layout, VAN-{arch_name(arch)} {arch}\n'
          f'{args.dst}: {len(state_dict)} tensors, {params / 1e6:.2f}M '
          f'backbone parameters')


if __name__ == '__main__':
    main()
