"""Convert an official Conv2Former checkpoint to mmattn's Conv2Former layout.

The official checkpoints (HVision-NKU/Conv2Former, timm ``.pth.tar``) hold
the model under ``state_dict``. This writes ``{'state_dict': ...}`` with the
keys of :class:`mmattn.Conv2Former` (see
:func:`~mmattn.models.backbones.conv2former.convert_official_conv2former`),
without the classifier (``head.*``, ``pred.*``), in fp32. The result loads
with ``init_cfg=dict(type='Pretrained', checkpoint=DST)``; the official file
loads the same way, so converting is optional: it saves the mapping at each
start and sheds the optimizer state the training checkpoints carry.

Example::

    python tools/model_converters/conv2former2mmattn.py \\
        conv2former_t.pth.tar pretrain/conv2former-t_in1k.pth
"""
import argparse
import os
import os.path as osp
import re

import torch

from mmattn.checkpoint import load_state_dict_file
from mmattn.models.backbones.conv2former import convert_official_conv2former

CLASSIFIER = re.compile(r'^(head|pred)\.')


def convert(src: str, dst: str) -> dict:
    """Convert ``src`` to ``dst``; returns the converted state dict."""
    state_dict = load_state_dict_file(src)
    state_dict = {k[len('module.'):] if k.startswith('module.') else k: v
                  for k, v in state_dict.items()}
    state_dict = {
        k: v.float() if v.is_floating_point() else v
        for k, v in convert_official_conv2former(state_dict).items()
        if not CLASSIFIER.match(k)
    }
    if osp.dirname(dst):
        os.makedirs(osp.dirname(dst), exist_ok=True)
    torch.save(dict(state_dict=state_dict), dst)
    return state_dict


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official checkpoint (.pth.tar)')
    parser.add_argument('dst', help='output path')
    args = parser.parse_args()
    state_dict = convert(args.src, args.dst)
    params = sum(v.numel() for k, v in state_dict.items()
                 if not k.endswith(('running_mean', 'running_var',
                                    'num_batches_tracked')))
    print(f'{args.dst}: {len(state_dict)} tensors, {params / 1e6:.2f}M '
          f'backbone parameters')


if __name__ == '__main__':
    main()
