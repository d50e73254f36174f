"""Convert a MobileNetV2 checkpoint (the official CA ``mbv2_ca.pth``,
torchvision, mmpretrain or mmseg) to mmattn's MobileNetV2 layout.

The layout is recognised from the key names and mapped by
:func:`~mmattn.models.backbones.mobilenet_v2.convert_mobilenet_v2`, the
mapping ``MobileNetV2.init_weights`` uses; the file is read with the safe
loader (``weights_only``). The classifier and, for whole-model checkpoints,
everything outside ``backbone.`` are left out. The result is checked
strictly against a ``MobileNetV2`` of ``--widen-factor``, with coordinate
attention if the weights hold it and with ``conv2`` if they do, and written
as ``{'state_dict': ...}`` in fp32.

Converting is optional (``init_cfg=dict(type='Pretrained',
checkpoint=SRC)`` loads every layout directly); it checks the file once and
sheds what training checkpoints carry besides the weights.

Example::

    python tools/model_converters/mobilenet2mmattn.py mbv2_ca.pth \\
        pretrain/mobilenet-v2-ca_in1k.pth
"""
import argparse
import os
import os.path as osp
import re

import torch

from mmattn.checkpoint import CheckpointError, load_state_dict_file
from mmattn.models.backbones import MobileNetV2
from mmattn.models.backbones.mobilenet_v2 import detect_mobilenet_v2_format


def mobilenet_v2_for(state_dict, widen_factor=1.):
    """The MobileNetV2 that mmattn-layout ``state_dict`` should fit."""
    ca = any('.attention.conv_h.' in k for k in state_dict)
    return MobileNetV2(
        widen_factor=widen_factor,
        attention=dict(type='mmattn.CoordAttention') if ca else None,
        out_indices=7 if 'conv2.conv.weight' in state_dict else 6)


def convert(state_dict, dst, build, source):
    """Convert ``state_dict`` (read from ``source``, which error messages
    name) with the ``convert_state_dict`` of a model from
    ``build(state_dict)``, check it strictly against the model that
    ``build`` gives for the converted keys (classifier dropped), write
    ``dst``; returns that model and the state dict."""
    state_dict = build(state_dict).convert_state_dict(state_dict)
    model = build(state_dict)
    state_dict = {
        k: v.float() if v.is_floating_point() else v
        for k, v in state_dict.items()
        if not any(re.search(p, k) for p in model.classifier_keys)
    }
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as error:
        raise CheckpointError(f'{source} does not fit '
                              f'{type(model).__name__}: {error}') from None
    if osp.dirname(dst):
        os.makedirs(osp.dirname(dst), exist_ok=True)
    torch.save(dict(state_dict=state_dict), dst)
    return model, state_dict


def summary(dst, model, state_dict):
    params = sum(v.numel() for k, v in state_dict.items()
                 if not k.endswith(('running_mean', 'running_var',
                                    'num_batches_tracked')))
    attention = {type(m).__name__ for n, m in model.named_modules()
                 if n.endswith('.attention') and list(m.parameters())}
    return (f'{dst}: {type(model).__name__} (widen_factor '
            f'{model.widen_factor}, attention {sorted(attention) or None}), '
            f'{len(state_dict)} tensors, {params / 1e6:.2f}M backbone '
            f'parameters')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='MobileNetV2 checkpoint, any known '
                        'layout')
    parser.add_argument('dst', help='output path')
    parser.add_argument('--widen-factor', type=float, default=1.,
                        help='width multiplier of the weights')
    args = parser.parse_args()
    state_dict = load_state_dict_file(args.src)
    layout = detect_mobilenet_v2_format(state_dict)
    model, state_dict = convert(
        state_dict, args.dst,
        lambda sd: mobilenet_v2_for(sd, args.widen_factor),
        f'{args.src!r} ({layout} layout)')
    print(f'{args.src}: {layout} layout')
    print(summary(args.dst, model, state_dict))


if __name__ == '__main__':
    main()
