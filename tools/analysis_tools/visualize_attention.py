"""Grad-CAM and attention-block maps of a model on a photograph, as PNGs.

    python tools/analysis_tools/visualize_attention.py \\
        CONFIG [CHECKPOINT] [IMAGE]
    python tools/analysis_tools/visualize_attention.py \\
        configs/toy/fpn_r50-coordatt-c3-c5_toy-ade20k.py \\
        work_dirs/x/iter_400.pth demo:chelsea --out-dir work_dirs/vis

IMAGE is a file or ``demo:<name>``, a sample image that scikit-image ships
(``astronaut``, ``chelsea``, ``coffee``, ...; default ``demo:astronaut``).
It is resized to ``--shape``.

Writes to ``--out-dir``:

- ``gradcam.png``: Grad-CAM (pytorch-grad-cam) of each stage output the
  backbone returns (its ``out_indices``; ``--layers`` picks modules by
  name instead) for the predicted class: for a
  segmentor, the logits of the class that covers most pixels (or
  ``--target-class``) summed over its predicted mask; for a detector, that
  class's probability on the highest-scoring RoI (two-stage) or anchor.
- ``attention_maps.png``: each attention block's own maps
  (:mod:`mmattn.visualization`), for the last block of each stage
  (``--blocks`` picks by regular expression), with ``--query`` as the query
  point of NonLocal-like blocks.

Without a checkpoint the model keeps its random initialisation, and the
output says so: the maps then show the architecture's bias, not anything
learnt.
"""
import argparse
import importlib.abc
import importlib.util
import os
import os.path as osp
import re
import sys
import types

import numpy as np
import torch
from mmengine.config import DictAction

from mmattn.analysis import build_model, dummy_batch, load_config, task_of
from mmattn.visualization import attention_maps, capture_inputs, is_spatial

UNTRAINED = ('NOTE: no checkpoint given: every map below comes from '
             'UNTRAINED (randomly initialised) weights.')


class _TorchvisionStandIn(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``torchvision`` and any ``torchvision.*`` as empty packages
    whose every attribute raises ImportError when called."""

    def find_spec(self, name, path=None, target=None):
        if name == 'torchvision' or name.startswith('torchvision.'):
            return importlib.util.spec_from_loader(name, self, is_package=True)
        return None

    def create_module(self, spec):
        return _Missing(spec.name)

    def exec_module(self, module):
        pass


class _Missing(types.ModuleType):
    __path__ = []

    def __getattr__(self, attr):
        if attr.startswith('__'):
            raise AttributeError(attr)

        def unavailable(*args, **kwargs):
            raise ImportError(f'{self.__name__}.{attr} needs torchvision, '
                              f'which is not installed')

        return unavailable


def import_grad_cam():
    """Import pytorch-grad-cam's GradCAM.

    pytorch-grad-cam imports torchvision at module level, only for helpers
    that this tool does not use (``preprocess_image``, ``sess``,
    ``FasterRCNNBoxScoreTarget``). Where torchvision is not installed (it
    has no CPU build on some machines), stand-in modules satisfy those
    imports and are removed right after, so nothing else sees a fake
    torchvision.
    """
    stand_in = None
    if importlib.util.find_spec('torchvision') is None:
        stand_in = _TorchvisionStandIn()
        sys.meta_path.insert(0, stand_in)
    try:
        from pytorch_grad_cam import GradCAM
    except ImportError as e:
        raise ImportError(
            f'Grad-CAM needs pytorch-grad-cam ({e}); install it with '
            f'`pip install --no-deps grad-cam ttach` plus its requirements '
            f'scikit-learn, opencv-python-headless, matplotlib') from e
    finally:
        if stand_in is not None:
            sys.meta_path.remove(stand_in)
            for name in list(sys.modules):
                if name.split('.')[0] == 'torchvision':
                    del sys.modules[name]
    return GradCAM


def load_image(spec, shape):
    """RGB uint8 H×W×3 at ``shape`` from a file or ``demo:<skimage name>``."""
    import cv2
    if spec.startswith('demo:'):
        import skimage.data
        img = getattr(skimage.data, spec[5:])()
        if img.ndim == 2:
            img = np.stack([img] * 3, -1)
    else:
        img = cv2.imread(spec, cv2.IMREAD_COLOR)
        if img is None:
            raise FileNotFoundError(f'cannot read image {spec}')
        img = img[..., ::-1]
    return cv2.resize(np.ascontiguousarray(img[..., :3]), shape[::-1],
                      interpolation=cv2.INTER_AREA)


def prepare(model, rgb):
    """Network input (1×3×H×W) and data samples for ``rgb``."""
    task = task_of(model)
    h, w = rgb.shape[:2]
    if task == 'module':
        mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
        std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
        x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float()
        return (x - mean) / std, None
    samples = dummy_batch(model, (h, w))['data_samples']
    bgr = torch.from_numpy(np.ascontiguousarray(rgb[..., ::-1]))
    bgr = bgr.permute(2, 0, 1)
    data = model.data_preprocessor(
        dict(inputs=[bgr], data_samples=samples), False)
    return data['inputs'], data['data_samples']


class StageTaps:
    """Route each stage output of ``backbone`` through an ``nn.Identity`` of
    its own, a module Grad-CAM can hook, until :meth:`remove`.

    The stages are what the backbone returns, whatever modules compute them
    (VAN's end in a LayerNorm applied N×H×W×C and permuted back).
    """

    def __init__(self, backbone):
        self.taps, self.shapes = [], []
        self._handle = backbone.register_forward_hook(self._route)

    def _route(self, module, args, outs):
        single = torch.is_tensor(outs)
        outs = (outs, ) if single else outs
        while len(self.taps) < len(outs):
            self.taps.append(torch.nn.Identity())
        self.shapes = [tuple(out.shape[-2:]) for out in outs]
        routed = [tap(out) for tap, out in zip(self.taps, outs)]
        return routed[0] if single else type(outs)(routed)

    def names(self, backbone, input_hw):
        """``'stage 2 (1/8)'``: the stage number (from ``out_indices``) and
        the stride of each output."""
        indices = list(getattr(backbone, 'out_indices', ()))
        if len(indices) != len(self.shapes):
            indices = range(len(self.shapes))
        return [f'stage {i + 1} (1/{round(input_hw[1] / w)})'
                for i, (_, w) in zip(indices, self.shapes)]

    def remove(self):
        self._handle.remove()


class _Logits(torch.nn.Module):
    """Wraps a det/seg model so that it maps an input tensor to its raw
    outputs, which a Grad-CAM target then reduces to a score."""

    def __init__(self, model, samples):
        super().__init__()
        self.model, self.samples = model, samples

    def forward(self, x):
        return [self.model(x, self.samples, mode='tensor')]


def _seg_target(logits, target_class):
    pred = logits.argmax(1)[0]
    if target_class is None:
        target_class = int(pred.flatten().mode().values)
    mask = (pred == target_class).float()

    def target(out):
        return (out[0, target_class] * mask).sum()

    return target, target_class


def _det_probs(outs):
    """Class probabilities of every candidate: RoIs (two-stage, softmax
    without the background) or anchors (single-stage, sigmoid)."""
    last = outs[-1]
    if isinstance(last, tuple) and torch.is_tensor(last[0]):
        return last[0].softmax(-1)[:, :-1]
    return torch.cat([s.flatten(2).transpose(1, 2).flatten(0, 1)
                      for s in outs[0]]).sigmoid()


def _det_target(outs, target_class):
    if target_class is None:
        target_class = int(_det_probs(outs).max(0).values.argmax())

    def target(out):
        return _det_probs(out)[:, target_class].max()

    return target, target_class


def grad_cams(model, inputs, samples, layers=None, target_class=None):
    """``({name: H×W cam in [0, 1]}, class)`` for the predicted class, of
    each backbone stage output (:class:`StageTaps`) or of the modules named
    in ``layers``."""
    GradCAM = import_grad_cam()
    task = task_of(model)
    if task == 'module':
        raise ValueError('Grad-CAM needs a det or seg model with a head')
    wrapped = _Logits(model, samples)
    taps = StageTaps(model.backbone) if layers is None else None
    try:
        with torch.no_grad():
            outs = wrapped(inputs)[0]
        if taps is not None:
            targets = dict(zip(taps.names(model.backbone, inputs.shape[-2:]),
                               taps.taps))
        else:
            modules = dict(model.named_modules())
            missing = [name for name in layers if name not in modules]
            if missing:
                raise KeyError(f'no module {missing[0]!r} in the model')
            targets = {name: modules[name] for name in layers}
        make = _seg_target if task == 'seg' else _det_target
        target, target_class = make(outs, target_class)
        cams = {}
        for name, module in targets.items():
            with GradCAM(model=wrapped, target_layers=[module]) as cam:
                cams[name] = cam(input_tensor=inputs, targets=[target])[0]
    finally:
        if taps is not None:
            taps.remove()
    return cams, target_class


def _stage_of(name):
    """``'backbone.layer2.3.coord_att' -> 'backbone.layer2'``: the path
    before the last numeric index (a block's place in its stage)."""
    parts = name.split('.')
    digits = [i for i, p in enumerate(parts) if p.isdigit()]
    return '.'.join(parts[:digits[-1]]) if digits else name


def block_maps(model, inputs, pattern=None, query=None):
    """``{block name: {map name: h×w array}}`` of the attention blocks.

    The forward that captures the blocks' inputs runs with autograd on:
    inference-only fused paths (VAN's eval mode) then step aside, so every
    block runs as a module and its input is seen.
    """
    with capture_inputs(model) as captured, torch.enable_grad():
        if task_of(model) == 'module':
            model(inputs)
        else:
            model.extract_feat(inputs)
    names = list(captured)
    if pattern:
        names = [n for n in names if re.search(pattern, n)]
    else:  # the last block of each stage
        last = {}
        for n in names:
            last[_stage_of(n)] = n
        names = list(last.values())
    maps = {}
    for name in names:
        block, x = captured[name]
        found = attention_maps(block, x, query)
        if found:
            maps[name] = {k: (v[0].cpu().numpy(), tuple(x.shape[2:]))
                          for k, v in found.items()}
    return maps


def _overlay(ax, rgb, cam):
    import cv2
    heat = cv2.resize(cam.astype(np.float32), rgb.shape[1::-1])
    ax.imshow(rgb)
    ax.imshow(heat, cmap='jet', alpha=0.5)
    ax.axis('off')


def plot_grad_cams(rgb, cams, path, title):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(cams) + 1, squeeze=False,
                             figsize=(3 * (len(cams) + 1), 3.4))
    axes[0][0].imshow(rgb)
    axes[0][0].set_title('image', fontsize=8)
    axes[0][0].axis('off')
    for ax, (name, cam) in zip(axes[0][1:], cams.items()):
        _overlay(ax, rgb, cam)
        ax.set_title(name, fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_block_maps(rgb, maps, path, title, query=None):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    cols = max(len(m) for m in maps.values())
    fig, axes = plt.subplots(len(maps), cols, squeeze=False,
                             figsize=(3 * cols, 3 * len(maps) + 0.4))
    for row, (block, block_maps_) in zip(axes, maps.items()):
        for ax in row:
            ax.axis('off')
        for ax, (key, (m, in_hw)) in zip(row, block_maps_.items()):
            if is_spatial(m.shape, in_hw):
                lo, hi = float(m.min()), float(m.max())
                _overlay(ax, rgb, (m - lo) / (hi - lo + 1e-12))
                if 'query' in key and query is not None:
                    ax.plot(query[1] * rgb.shape[1], query[0] * rgb.shape[0],
                            'w+', markersize=12, mew=2)
            elif 1 in m.shape:  # a per-row or per-column profile
                ax.axis('on')
                ax.plot(m.flatten(), '.-')
                ax.set_xlabel('row' if m.shape[1] == 1 else 'column',
                              fontsize=7)
            else:  # e.g. branch × channel weights
                ax.axis('on')
                ax.imshow(m, cmap='viridis', aspect='auto')
            ax.set_title(f'{block}\n{key}', fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file, type or dict')
    parser.add_argument('paths', nargs='*', metavar='[CHECKPOINT] [IMAGE]',
                        help='checkpoint (.pth) and/or image')
    parser.add_argument('--shape', type=int, nargs=2, default=[512, 512])
    parser.add_argument('--layers', nargs='+', help='Grad-CAM layers')
    parser.add_argument('--blocks', help='regex of attention blocks to show')
    parser.add_argument('--query', type=float, nargs=2, default=[0.5, 0.5],
                        help='query point (y x) in [0, 1]')
    parser.add_argument('--target-class', type=int)
    parser.add_argument('--no-cam', action='store_true')
    parser.add_argument('--out-dir', default='work_dirs/visualize_attention')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    args.checkpoint = next((p for p in args.paths if p.endswith('.pth')),
                           None)
    images = [p for p in args.paths if p != args.checkpoint]
    if len(images) > 1:
        parser.error(f'expected at most one image, got {images}')
    args.image = images[0] if images else 'demo:astronaut'
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    model = build_model(cfg)
    if args.checkpoint:
        from mmattn.checkpoint import load_state_dict_file
        model.load_state_dict(load_state_dict_file(args.checkpoint))
        note = f'weights: {osp.basename(args.checkpoint)}'
    else:
        print(UNTRAINED)
        note = 'UNTRAINED weights (no checkpoint)'
    rgb = load_image(args.image, args.shape)
    inputs, samples = prepare(model, rgb)
    os.makedirs(args.out_dir, exist_ok=True)
    name = osp.splitext(osp.basename(args.config))[0]
    if not args.no_cam and task_of(model) != 'module':
        cams, cls = grad_cams(model, inputs, samples, args.layers,
                              args.target_class)
        path = osp.join(args.out_dir, 'gradcam.png')
        plot_grad_cams(rgb, cams, path,
                       f'{name}: Grad-CAM of class {cls}; {note}')
        print(f'saved {path}')
    maps = block_maps(model, inputs, args.blocks, tuple(args.query))
    if maps:
        path = osp.join(args.out_dir, 'attention_maps.png')
        plot_block_maps(rgb, maps, path, f'{name}: block maps; {note}',
                        tuple(args.query))
        print(f'saved {path}')
    else:
        print('no attention block with maps in this model')


if __name__ == '__main__':
    main()
